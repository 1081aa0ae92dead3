"""Every shipped MNIST preset against the single DCGAN on CPU under one time budget per run, several seeds.

Issue 27's preset table: digit classes covered out of 10 and KL(generated ||
uniform) over the classifier's labels of 5,000 samples, and FID on the digit
classifier's features (5,000 samples in every preset), each preset run as
shipped except for the budget. The baseline is ``mnist_egan``'s DCGAN with one
generator and the non-saturating loss, evaluating nothing. The budget,
resuming and keeping are image_budget.py's.

    python benchmarks/mnist_presets.py [--cpu-minutes 10 | --minutes 9 | --generations 200] [--seeds 0 1 2]
        [--strategies dcgan ...] [--jobs 2] [--set KEY=VALUE] [--report-only] [--keep-partial]
"""

from __future__ import annotations

from functools import partial

import image_budget
from kept_runs import PRESETS

#: presets not run: the same strategy as another preset on a backend a CPU budget cannot count (survivors equal the
#: in-process preset's, tests/evogan/parallel)
SAME_AS = {"mnist_egan_crossover_ray": "mnist_egan_crossover"}
#: strategy → (label, preset in runs/, overrides)
STRATEGIES = {"dcgan": ("DCGAN (single loss; mnist_egan with one generator, heuristic)", "mnist_egan",
                        ["population_size=1", "mutations=['heuristic']", "fitness='none'"])}
STRATEGIES.update({path.stem: (path.stem, path.stem, []) for path in sorted(PRESETS.glob("mnist*.toml"))
                   if path.stem not in SAME_AS})
#: not in the default table: E-GAN's sign of F_d (fitness/egan.py), the paper's against its released code's (the
#: presets'), with one parent (E-GAN's n_p = 1) and with mnist_egan's four; compare at --generations (same work)
SIGN_OF_F_D = {
    "egan_mu1": ("E-GAN (mu = 1), ranked as its released code", "mnist_egan", ["population_size=1"]),
    "egan_mu1_paper_sign": ("E-GAN (mu = 1), ranked with the paper's sign", "mnist_egan",
                            ["population_size=1", "fitness='egan'"]),
    "mnist_egan_paper_sign": ("mnist_egan (mu = 4), ranked with the paper's sign", "mnist_egan", ["fitness='egan'"]),
}

TABLE = image_budget.Table("mnist", "MNIST presets", {**STRATEGIES, **SIGN_OF_F_D}, list(STRATEGIES), 10)
execute = partial(image_budget.execute, TABLE)

if __name__ == "__main__":
    image_budget.main(TABLE, __doc__.splitlines()[0])
