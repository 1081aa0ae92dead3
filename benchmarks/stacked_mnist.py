"""Stacked MNIST (PacGAN's Tables 2 and 3) on CPU under one time budget per run, several seeds.

Modes covered out of 1,000 and KL(generated || uniform) over the preset's mode
samples, FID on the digit classifier's features, with PacGAN's rows beside
them; the budget, resuming and keeping are image_budget.py's.

    python benchmarks/stacked_mnist.py [--cpu-minutes 20 | --minutes 9] [--seeds 0 1 2] [--strategies gan ...]
        [--jobs 2] [--set KEY=VALUE] [--report-only] [--keep-partial]
"""

from __future__ import annotations

from functools import partial

import image_budget

#: strategy → (label, preset in runs/, overrides)
STRATEGIES = {
    "gan": ("DCGAN (single loss)", "stacked_mnist_gan", []),
    "pacgan2": ("PacDCGAN2 (batch counts packs, as PacGAN)", "stacked_mnist_gan", ["pack=2"]),
    "egan": ("E-GAN (mu = 4)", "stacked_mnist_egan", []),
    "egan_crossover": ("E-GAN + crossover (mu = 4)", "stacked_mnist_egan_crossover", []),
    "egan_mu1": ("E-GAN (mu = 1)", "stacked_mnist_egan", ["population_size=1"]),
    "egan_balanced": ("E-GAN rebalanced (mu = 1, 2 losses, F = F_q, 1 D step)", "stacked_mnist_egan_balanced",
                      ["pack=1", "batch_size=64", "eval_batch_size=64"]),
    "egan_balanced_pack": ("E-GAN rebalanced + packing 2", "stacked_mnist_egan_balanced", ["pack=2"]),
}
#: PacGAN's hard variants (its Table 3): the small DCGAN with D = 1/2 G or 1/4 G (evogan/models/unrolled.py), each
#: with the single GAN, PacGAN2 (128 packs a step, as there), E-GAN's three losses, E-GAN + packing 2, and the
#: built-in default's strategy (two packed generators against one D, one heuristic child each, no selection), also
#: with four; and E-GAN ranked by its released code's sign of F_d (fitness/egan.py). Only E-GAN evaluates its
#: children (fitness egan or egan_released); the others evaluate nothing, as their papers' methods do. With
#: several children D cannot share one child's latents (PacGAN's loop, update "same_latents"): E-GAN and the mixture
#: take E-GAN's order (alternating), with the same one D step a generation
_EGAN = ["mutations=['minimax', 'heuristic', 'least_squares']", "fitness='egan'", "update='alternating'"]
#: D's size → (D's label, preset, overrides): PacGAN's Table 3 networks, and the same G against a D of its own size
#: (d_scale 1; PacGAN has no row for it: its full-size table, Table 2, is the VEEGAN protocol's larger DCGAN)
D_SIZES = {"half": ("1/2 G", "stacked_mnist_unrolled_half_d", []),
           "quarter": ("1/4 G", "stacked_mnist_unrolled_quarter_d", []),
           "full": ("G", "stacked_mnist_unrolled_half_d", ["model.d_scale=1.0"])}
for _size, (_label, _preset, _d) in D_SIZES.items():
    STRATEGIES.update({
        f"gan_{_size}_d": (f"DCGAN, D = {_label}", _preset, _d),
        f"pacgan2_{_size}_d": (f"PacDCGAN2, D = {_label}", _preset, [*_d, "pack=2"]),
        f"egan_{_size}_d": (f"E-GAN (mu = 1, 3 losses), D = {_label}", _preset, [*_d, *_EGAN]),
        f"egan_pack2_{_size}_d": (f"E-GAN + packing 2, D = {_label}", _preset, [*_d, *_EGAN, "pack=2"]),
        f"egan_released_{_size}_d": (f"E-GAN ranked as its released code (F_q - gamma F_d), D = {_label}", _preset,
                                     [*_d, *_EGAN, "fitness='egan_released'"]),
    })
    for _k, _what in ((2, "evogan's default strategy"), (4, "the default strategy with 4")):
        STRATEGIES[f"mixture{_k}_{_size}_d"] = (f"{_k} PacDCGAN2 generators mixed ({_what}), D = {_label}", _preset,
                                                [*_d, "pack=2", f"population_size={_k}", "selection='lineage'",
                                                 "update='alternating'"])
    # evolution's part in the mixture: a lineage D has rejected for 200 generations in a row (its acceptance below
    # half the median: a generator collapsed for good) is replaced by a copy of the best; until then the run is the
    # plain mixture's of the same seed. Judged on F_q (each child scored on 32 packs, enough to tell a D score near
    # 0.1 from one near 0.5, a quarter of the preset's 128; operators.select_lineage_cull), or free, on exp(-loss) of
    # the child's own update (operators.select_lineage_cull_by_loss), which leaves the generations the plain
    # mixture's too
    _mixture4 = STRATEGIES[f"mixture4_{_size}_d"][2]
    STRATEGIES[f"mixture4_cull_{_size}_d"] = (f"4 PacDCGAN2 generators mixed, a failed one replaced by a copy of the "
                                              f"best (F_q), D = {_label}", _preset,
                                              [*_mixture4, "fitness='quality'", "eval_batch_size=32",
                                               "selection='lineage_cull'"])
    for _k in (2, 4):
        STRATEGIES[f"mixture{_k}_cull_loss_{_size}_d"] = (
            f"{_k} PacDCGAN2 generators mixed, a failed one replaced by a copy of the best (by its loss, unscored), "
            f"D = {_label}", _preset, [*STRATEGIES[f"mixture{_k}_{_size}_d"][2], "selection='lineage_cull_loss'"])

#: PacGAN, Table 2 (the VEEGAN protocol's DCGAN, GPU, full training): label → (modes, KL)
PAPER = {"DCGAN": (99, 3.40), "VEEGAN": (150, 2.95), "PacDCGAN2": (1000, 0.06)}
#: PacGAN, Table 3 (D = 1/4 G and 1/2 G, 50 trials, GPU, full training): size (D_SIZES) → label → (modes, KL)
PAPER_HARD = {
    "quarter": {"DCGAN (PacGAN's)": (78.5, 5.21), "PacDCGAN2": (484.5, 2.61), "PacDCGAN3": (601.3, 2.00),
                "PacDCGAN4": (667.4, 1.81)},
    "half": {"DCGAN (PacGAN's)": (487.7, 2.24), "PacDCGAN2": (840.7, 1.00), "PacDCGAN3": (866.6, 0.90),
             "PacDCGAN4": (820.2, 1.15)},
}


def paper_rows(strategies: list[str]) -> list[tuple[str, float, float]]:
    """PacGAN's rows for the networks the table holds."""
    rows = []
    if any(not s.endswith("_d") for s in strategies):
        rows += [(f"paper, Table 2: {label} (GPU, full training)", modes, kl) for label, (modes, kl) in PAPER.items()]
    for size, table in PAPER_HARD.items():
        if any(s.endswith(f"_{size}_d") for s in strategies):
            rows += [(f"paper, Table 3, D = {D_SIZES[size][0]}: {label} (GPU, full training)", modes, kl)
                     for label, (modes, kl) in table.items()]
    return rows


TABLE = image_budget.Table("stacked_mnist", "Stacked MNIST", STRATEGIES, ["gan", "egan_balanced_pack", "egan_balanced"],
                           1000, paper_rows)
execute = partial(image_budget.execute, TABLE)

if __name__ == "__main__":
    image_budget.main(TABLE, __doc__.splitlines()[0])
