"""Evolution against a correctly packed single GAN at equal generations *and* at equal CPU time, every seed listed.

The reference is the best evolutionary recipe measured (``grid_egan_pack2``: E-GAN, mu = 1, three loss mutations,
PacGAN packing 2 on 128 packs = 256 samples, lr 1e-3 cosine to 1 %, 30,000 generations). Every strategy shares its
networks, D steps, learning rates and schedule; only the listed keys differ. The single-loss baselines pack as
PacGAN packs: ``batch_size`` counts packs, so PacGAN2 at batch 256 trains D on 256 packs of 2 real and 2 fake samples.

Equal compute: a calibration (``calibration.json``, committed, reused by every later session so the generation
counts never change) times each strategy's CPU seconds per generation in one process, one torch thread,
alternating the strategies round by round (medians over rounds). A strategy's equal-compute budget is then
``generations = reference generations x reference cost / its cost``: the schedule spans its whole budget, as it
would for a user who gave it that much time. Each run's real CPU seconds (``provenance.json``) are printed beside
it, so the equality is measured, not assumed.

Runs are evogan run directories under ``--out`` (git-ignored), kept in ``benchmarks/results/equal_compute/`` when
finished and resumed from a kept checkpoint when not (see kept_runs.py). Jobs are taken in the order of ``--plan``,
seed-major, so an interrupted session leaves whole seeds behind it.

    python benchmarks/equal_compute.py [--seeds 0 ... 9] [--jobs 2] [--plan pacgan2@compute egan_pack2@generations ...]
        [--datasets grid grid49 ...] [--report-only] [--keep-partial]

``--datasets`` runs the same recipes, unchanged, on mixtures none of them was tuned on (evogan's mixture family:
``ring16``, ``grid49``, ``grid_close``, ``spiral``, ``ring_unequal``, ``grid_anisotropic``, ``cross10d``), at the
grid's calibrated generation counts: a generation's cost depends on the batch and the networks, not on where the
modes are (the measured CPU seconds of every run are printed to show it). Jobs go seed-major over datasets and plan.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kept_runs
from kept_runs import ENGINE_DEFAULTS, RESULTS, ROOT, finished, mean_se, values

from evogan.io.provenance import read_cpu_seconds

EGAN = ["minimax", "heuristic", "least_squares"]
REFERENCE = "egan_pack2"
GENERATIONS = 30000
#: what every strategy shares (the grid_egan_pack2 recipe without its strategy keys)
PROTOCOL = ["lr_g=1e-3", "lr_d=1e-3", "schedule.g='cosine'", "schedule.d='cosine'", "schedule.final=0.01",
            "log.plots=false"]
SINGLE = ["population_size=1", "mutations=['heuristic']", "p_cross=0.0"]
#: strategy -> (label, overrides)
STRATEGIES = {
    "egan_pack2": ("E-GAN + packing 2 (128 packs)", ["population_size=1", f"mutations={json.dumps(EGAN)}",
                                                    "p_cross=0.0", "pack=2", "batch_size=128", "eval_batch_size=128"]),
    "gan": ("GAN (batch 256)", SINGLE + ["batch_size=256"]),
    "pacgan2": ("PacGAN2 (256 packs)", SINGLE + ["pack=2", "batch_size=256", "eval_batch_size=128"]),
    "pacgan4": ("PacGAN4 (256 packs)", SINGLE + ["pack=4", "batch_size=256", "eval_batch_size=64"]),
    # E-GAN on PacGAN2's pack count: does evolution add anything once both see the same packs?
    "egan_pack2_256": ("E-GAN + packing 2 (256 packs)", ["population_size=1", f"mutations={json.dumps(EGAN)}",
                                                        "p_cross=0.0", "pack=2", "batch_size=256",
                                                        "eval_batch_size=128"]),
    # a population that stays a mixture: mu = 2 lineages (each parent's fittest child survives), D trained on fakes
    # from both (128 packs each), metrics sampled from both evenly
    "egan_mu2_lineage": ("E-GAN mu = 2 lineages + packing 2 (256 packs)",
                         ["population_size=2", f"mutations={json.dumps(EGAN)}", "p_cross=0.0", "pack=2",
                          "batch_size=256", "eval_batch_size=128", "selection='lineage'"]),
    # its control without evolution: two PacGAN2 generators, one heuristic child each, no choice to make
    "pacgan2_mu2": ("2 PacGAN2 generators, mixed (256 packs)",
                    ["population_size=2", "mutations=['heuristic']", "p_cross=0.0", "pack=2", "batch_size=256",
                     "eval_batch_size=128", "selection='lineage'"]),
    # the mixture's size: four PacGAN2 generators, 64 fake packs each against D's 256 real packs
    "pacgan2_mu4": ("4 PacGAN2 generators, mixed (256 packs)",
                    ["population_size=4", "mutations=['heuristic']", "p_cross=0.0", "pack=2", "batch_size=256",
                     "eval_batch_size=128", "selection='lineage'"]),
    # the default without packing: the same samples a step (512 real, 256 fakes from each generator), one per row
    "pacgan2_mu2_unpacked": ("2 GAN generators, mixed, unpacked (512 samples)",
                             ["population_size=2", "mutations=['heuristic']", "p_cross=0.0", "batch_size=512",
                              "eval_batch_size=256", "selection='lineage'"]),
    # self-adaptation (genes.lr_sigma): each child's lr_g factor mutated log-normally and selected with the child
    "egan_pack2_256_genes": ("E-GAN + packing 2 (256 packs), self-adaptive lr_g (sigma 0.02)",
                             ["population_size=1", f"mutations={json.dumps(EGAN)}", "p_cross=0.0", "pack=2",
                              "batch_size=256", "eval_batch_size=128", "genes.lr_sigma=0.02"]),
}
#: E-GAN on 256 packs choosing a random child: the control that says what its selection by fitness adds
STRATEGIES["egan_pack2_256_random"] = ("E-GAN + packing 2 (256 packs), a random child",
                                       STRATEGIES["egan_pack2_256"][1] + ["selection='random'"])
#: robustness: the same strategies with G's learning rate 10x off the tuned one, D's unchanged. Too low (1e-4): can
#: a strategy that adapts its rate recover what the fixed-rate ones lose? Too high (1e-2): E-GAN's F_q prefers the
#: child that moved least (the saturating minimax loss when D is sure), a step-size control a single loss lacks
#: suffix -> (lr_g, the strategies run at it)
ROBUSTNESS = {"slow_g": ("1e-4", ("pacgan2", "egan_pack2_256", "egan_pack2_256_genes")),
              "fast_g": ("1e-2", ("pacgan2", "pacgan2_mu2", "egan_pack2_256", "egan_pack2_256_random"))}
for _suffix, (_rate, _names) in ROBUSTNESS.items():
    for _name in _names:
        STRATEGIES[f"{_name}_{_suffix}"] = (STRATEGIES[_name][0] + f", lr_g {_rate}",
                                            STRATEGIES[_name][1] + [f"lr_g={_rate}"])
#: the latent's size: every strategy draws G's input from 2-D noise, as on PacGAN's 2-D mixtures; in 10-D
#: (cross10d) one generator is then a 2-D sheet through 10-D space. The same strategies with a 10-D latent say
#: whether a population's lead there is more than a latent too small for one generator
LATENT = ("pacgan2", "pacgan2_mu4")
for _name in LATENT:
    STRATEGIES[f"{_name}_latent10"] = (STRATEGIES[_name][0] + ", latent 10", STRATEGIES[_name][1] + ["latent_dim=10"])
#: the baselines as their papers build them: a single GAN, PacGAN and a mixture of generators make no choice among
#: children, so they evaluate none (fitness "none"); the rows above also pay for E-GAN's child evaluation, 10-28 % of
#: a single-child generation, which their methods do not do (timed on their own: the work differs)
UNSCORED = ("gan", "pacgan2", "pacgan4", "pacgan2_mu2", "pacgan2_mu4")
for _name in UNSCORED:
    STRATEGIES[f"{_name}_unscored"] = (STRATEGIES[_name][0] + ", no child evaluation",
                                       STRATEGIES[_name][1] + ["fitness='none'"])
#: strategies doing their base's tensor work (only learning-rate values differ, or which child survives, or the
#: latent's size, about 1 % of the work): they take the base's calibrated generations instead of a timing of their
#: own (a timing under load once gave PacGAN2 at lr_g 1e-4 30 % fewer generations than PacGAN2); their measured CPU
#: seconds, printed beside them, show the equality
SAME_COST = {"egan_pack2_256_genes": "egan_pack2_256", "egan_pack2_256_random": "egan_pack2_256",
             **{f"{name}_{suffix}": name for suffix, (_, names) in ROBUSTNESS.items() for name in names},
             # G's first layer takes 10 inputs instead of 2: 1,024 more multiply-adds a sample, about 3 % of G's
             **{f"{name}_latent10": name for name in LATENT}}
#: the ablations: a base strategy with one part taken away (or added) each; strategy -> (label, overrides, base).
#: Each does its base's tensor work per generation (the same networks, children and samples a generation), so it
#: runs at its base's generations for the same budget; its measured CPU seconds, printed beside it, show the
#: compute is equal. E-GAN + packing 2 (the reference) ablated at equal generations:
_REFERENCE_KEYS = STRATEGIES[REFERENCE][1]
ABLATIONS = {
    "egan_one_loss": ("− loss diversity (3 heuristic children)",
                      [k for k in _REFERENCE_KEYS if not k.startswith("mutations=")]
                      + ["mutations=['heuristic', 'heuristic', 'heuristic']"], REFERENCE),
    "egan_random_selection": ("− selection by fitness (a random child)", _REFERENCE_KEYS + ["selection='random'"],
                              REFERENCE),
    "egan_no_fd": ("− diversity fitness (gamma = 0)", _REFERENCE_KEYS + ["gamma=0.0"], REFERENCE),
    "egan_no_pack": ("− packing (256 samples)",
                     [k for k in _REFERENCE_KEYS if k.split("=")[0] not in ("pack", "batch_size", "eval_batch_size")]
                     + ["batch_size=256", "eval_batch_size=256"], REFERENCE),
    "egan_constant_lr": ("− schedule (constant lr 1e-3)", _REFERENCE_KEYS + ["schedule.g='constant'",
                                                                            "schedule.d='constant'"], REFERENCE),
}
#: the built-in default (two PacGAN2 generators mixed) ablated at equal compute; its other parts are rows of their
#: own, timed like any strategy: one generator is PacGAN2, E-GAN's loss children egan_mu2_lineage, four generators
#: pacgan2_mu4, no packing pacgan2_mu2_unpacked (D then sees twice the rows, so its cost differs)
_DEFAULT_KEYS = STRATEGIES["pacgan2_mu2"][1]
ABLATIONS.update({
    "pacgan2_mu2_constant_lr": ("default − schedule (constant lr 1e-3)",
                                _DEFAULT_KEYS + ["schedule.g='constant'", "schedule.d='constant'"], "pacgan2_mu2"),
})
STRATEGIES.update({name: (label, keys) for name, (label, keys, _) in ABLATIONS.items()})
#: the built-in default's parts, as the rows of one table (``--ablation``): job -> what it changes; the first is the
#: base every other row's difference is taken from
DEFAULT_PARTS = {
    "pacgan2_mu2@compute": "the default (2 PacGAN2 generators mixed, 256 packs, cosine lr)",
    "pacgan2@compute": "− the mixture (one generator: PacGAN2)",
    "pacgan2_mu2_unpacked@compute": "− packing (512 samples, no packs)",
    "pacgan2_mu2_constant_lr@compute": "− schedule (constant lr 1e-3)",
    "pacgan2_mu4@compute": "4 generators instead of 2",
    "egan_mu2_lineage@compute": "+ evolution (E-GAN's 3 loss children a parent, the fittest kept)",
}
BUDGETS = ("generations", "compute")
#: earlier runs of the same recipe (bit-identical configs) that count: (results folder, strategy there)
KEPT_ELSEWHERE = {("egan_pack2", "generations"): ("mode_collapse_grid30k", "egan_pack"),
                  ("gan", "generations"): ("mode_collapse_grid30k", "gan")}
DEFAULT_PLAN = ["pacgan2@compute", "egan_pack2@generations", "gan@compute", "pacgan2@generations",
                "gan@generations"]
OUT_NAME = "equal_compute"


def overrides(strategy: str, generations: int, seed: int, dataset: str = "grid") -> list[str]:
    every = max(generations // 15, 1)
    return [f"dataset='{dataset}'", f"seed={seed}", f"generations={generations}", f"metrics.every={every}",
            f"log.checkpoint_every={every}", *PROTOCOL, *STRATEGIES[strategy][1]]


def _time_strategies(strategies: list[str], rounds: int, warmup: int, timed: int) -> dict[str, list[float]]:
    """CPU seconds per generation of each strategy, per round, the strategies alternating (one torch thread)."""
    from evogan.compare._budget import cpu_seconds_per_generation
    from evogan.config import load_config

    configs = {strategy: load_config(ENGINE_DEFAULTS, overrides(strategy, warmup + timed, 0)) for strategy in strategies}
    timings = cpu_seconds_per_generation(configs, rounds=rounds, warmup=warmup, timed=timed, threads=1)
    return {strategy: timing["rounds"] for strategy, timing in timings.items()}


def _budgets(cost: float, reference_cost: float) -> dict:
    from evogan.compare._budget import equal_compute_generations

    compute = equal_compute_generations({"it": cost, "reference": reference_cost}, GENERATIONS, "reference", step=500)
    return {"generations": GENERATIONS, "compute": compute["it"]}


def calibrate(path: Path, rounds: int = 3, warmup: int = 50, timed: int = 500, time_missing: bool = True) -> dict:
    """CPU seconds per generation of every strategy, alternating strategies round by round (medians).

    Written once and never re-timed, so committed generation counts stay fixed. A strategy added later is timed
    alternating with the reference, and its cost is recorded as (its median / the reference's median in those same
    rounds) x the reference's recorded cost: a ratio measured side by side, on today's machine, scaled to the
    calibration's. ``time_missing=False`` (reports) reads the file as it is and times nothing."""
    timed_strategies = [s for s in STRATEGIES if s not in ABLATIONS and s not in SAME_COST]
    if path.exists():
        result = json.loads(path.read_text())
        missing = [s for s in timed_strategies if s not in result["cpu_seconds_per_generation"]]
        if not missing or not time_missing:
            return result
        seconds = _time_strategies([REFERENCE, *missing], rounds, warmup, timed)
        reference_now = statistics.median(seconds[REFERENCE])
        reference_cost = result["cpu_seconds_per_generation"][REFERENCE]
        for strategy in missing:
            cost = statistics.median(seconds[strategy]) / reference_now * reference_cost
            result["cpu_seconds_per_generation"][strategy] = cost
            result["rounds"][strategy] = seconds[strategy]
            result["generations"][strategy] = _budgets(cost, reference_cost)
            result.setdefault("added", {})[strategy] = {
                "ratio_to_reference": cost / reference_cost, "reference_rounds": seconds[REFERENCE],
                "how": f"{rounds} rounds alternating with {REFERENCE}, generations {warmup + 1}-{warmup + timed}, "
                       f"one process, {time.strftime('%Y-%m-%d')}"}
        path.write_text(json.dumps(result, indent=2) + "\n")
        return result
    seconds = _time_strategies(timed_strategies, rounds, warmup, timed)
    per_generation = {strategy: statistics.median(s) for strategy, s in seconds.items()}
    result = {"cpu_seconds_per_generation": per_generation, "rounds": seconds, "threads": 1,
              "how": f"{rounds} alternating rounds, generations {warmup + 1}-{warmup + timed} of each, one process",
              "generations": {strategy: _budgets(cost, per_generation[REFERENCE])
                              for strategy, cost in per_generation.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return result


def budget_generations(calibration: dict, strategy: str, budget: str) -> int:
    """The generations of ``strategy`` under ``budget``; an ablation and a ``SAME_COST`` strategy run at their
    base's (the same tensor work by design)."""
    while strategy in ABLATIONS or strategy in SAME_COST:
        strategy = ABLATIONS[strategy][2] if strategy in ABLATIONS else SAME_COST[strategy]
    return calibration["generations"][strategy][budget]


def job_name(strategy: str, budget: str) -> str:
    return f"{strategy}@{budget}"


def run(dataset: str, job: str, seed: int, calibration: dict, out: Path) -> str:
    strategy, budget = job.split("@")
    kept = KEPT_ELSEWHERE.get((strategy, budget)) if dataset == "grid" else None
    if kept and finished(RESULTS / kept[0], dataset, kept[1], [seed]):
        return f"{job} seed {seed}: kept in benchmarks/results/{kept[0]}"
    generations = budget_generations(calibration, strategy, budget)
    arguments = kept_runs.sets(overrides(strategy, generations, seed, dataset))
    return kept_runs.execute(out, dataset, job, seed, arguments)


def _runs(dataset: str, job: str, seeds: list[int], out: Path) -> list[tuple[int, dict, float | None]]:
    """(seed, final metrics, CPU seconds) of the finished seeds, here or in the results kept elsewhere."""
    strategy, budget = job.split("@")
    found = {}
    kept = KEPT_ELSEWHERE.get((strategy, budget)) if dataset == "grid" else None
    if kept:
        for seed, final, _ in finished(RESULTS / kept[0], dataset, kept[1], seeds):
            found[seed] = (final, None)
    for seed, final, _ in finished(out, dataset, job, seeds):
        found[seed] = (final, read_cpu_seconds(kept_runs.folder_of(out, dataset, job, seed)))
    return [(seed, *found[seed]) for seed in sorted(found)]


def report(dataset: str, seeds: list[int], out: Path, calibration: dict, versus: str = f"{REFERENCE}@generations") -> None:
    costs = calibration["cpu_seconds_per_generation"]
    budget = GENERATIONS * costs[REFERENCE]
    rows = [(s, b, _runs(dataset, job_name(s, b), seeds, out)) for s in STRATEGIES for b in BUDGETS]
    rows = [row for row in rows if row[2]]
    if not rows:
        return
    modes = rows[0][2][0][1]["n_modes"]
    print(f"\n{dataset} ({modes} modes), seeds asked {seeds}. CPU budget = {GENERATIONS} generations of {REFERENCE} = "
          f"{budget:.0f} CPU-s by the calibration ({calibration['how']}; one torch thread; s/generation: "
          + ", ".join(f"{s} {c * 1e3:.2f} ms" for s, c in costs.items()) + ")\n")
    print(f"| strategy | budget | generations | seeds | modes (of {modes}) | % high quality | reverse KL | all modes "
          "| HQ ≥ 95 % and KL ≤ 0.03 | CPU s / run (measured) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    per_seed = []
    for strategy, budget_kind, runs in rows:
        job = job_name(strategy, budget_kind)
        finals = [final for _, final, _ in runs]
        cpu = [c for _, _, c in runs if c is not None]
        full = sum(f["modes_covered"] == modes for f in finals)
        target = sum(f["modes_covered"] == modes and f["high_quality"] >= 95 and f["reverse_kl"] <= 0.03
                     for f in finals)
        print(f"| {STRATEGIES[strategy][0]} | {budget_kind} | {budget_generations(calibration, strategy, budget_kind)} "
              f"| {_seed_list([s for s, _, _ in runs])} | {mean_se(values(finals, 'modes_covered'), 1)} "
              f"| {mean_se(values(finals, 'high_quality'), 1)} | {mean_se(values(finals, 'reverse_kl'), 3)} "
              f"| {full}/{len(finals)} | {target}/{len(finals)} | {mean_se(cpu, 0) if cpu else '— (kept runs)'} |")
        per_seed.append((job, runs))
    _differences(rows, versus)
    print("\nEvery seed (modes / % HQ / reverse KL):\n")
    for job, runs in per_seed:
        cells = "; ".join(f"{seed}: {f['modes_covered']} / {f['high_quality']:.1f} / {f['reverse_kl']:.3f}"
                          for seed, f, _ in runs)
        print(f"- {job}: {cells}")


def _differences(rows, versus: str) -> None:
    """Each row minus the ``versus`` row (a job, e.g. ``pacgan2@compute``) on the seeds both finished: Welch's 95 %
    interval of the difference of means and the two-sided Mann-Whitney p, per metric (evogan.compare's statistics)."""
    from evogan.compare import mann_whitney_test, welch_interval

    finals = {job_name(s, b): {seed: f for seed, f, _ in runs} for s, b, runs in rows}
    reference = finals.get(versus)
    if not reference:
        return
    strategy, budget_kind = versus.split("@")
    metrics = (("modes_covered", "modes", 1), ("high_quality", "% HQ", 2), ("reverse_kl", "reverse KL", 3))
    print(f"\nDifference from {STRATEGIES[strategy][0]} ({budget_kind}) on the seeds both finished (row minus it; "
          "Welch 95 % interval of the difference of means, Mann-Whitney p, two-sided, no correction):\n")
    print("| strategy | budget | seeds | " + " | ".join(label for _, label, _ in metrics) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in metrics) + " |")
    for job, these in finals.items():
        seeds = sorted(set(these) & set(reference))
        if job == versus or not seeds:
            continue
        cells = []
        for key, _, digits in metrics:
            a, b = values([these[s] for s in seeds], key), values([reference[s] for s in seeds], key)
            low, high = welch_interval(a, b)
            diff = statistics.fmean(a) - statistics.fmean(b)
            interval = "n < 3" if math.isnan(low) else f"[{low:+.{digits}f}, {high:+.{digits}f}]"
            cells.append(f"{diff:+.{digits}f} {interval}, p = {mann_whitney_test(a, b):.3f}")
        label, budget = STRATEGIES[job.split("@")[0]][0], job.split("@")[1]
        print(f"| {label} | {budget} | {_seed_list(seeds)} | " + " | ".join(cells) + " |")


def ablation_report(datasets: list[str], seeds: list[int], out: Path, parts: dict = DEFAULT_PARTS) -> None:
    """One table, a row per part and a column per mixture: the base's means, then each row's difference from it on
    the seeds both finished (modes / % HQ / reverse KL); † marks a difference whose Welch 95 % interval excludes 0."""
    from evogan.compare import welch_interval

    base = next(iter(parts))
    finals = {(d, job): {seed: f for seed, f, _ in _runs(d, job, seeds, out)} for d in datasets for job in parts}
    print(f"\nAblation at equal compute: {base} and its parts, seeds asked {_seed_list(seeds)}; cells are modes / "
          "% HQ / reverse KL, the base's means and every other row's difference from it on the seeds both finished "
          "(seeds in brackets; † Welch 95 % interval of the difference excludes 0)\n")
    print("| part | " + " | ".join(datasets) + " |")
    print("| --- | " + " | ".join("---" for _ in datasets) + " |")
    metrics = (("modes_covered", 1), ("high_quality", 1), ("reverse_kl", 3))
    for job, label in parts.items():
        cells = []
        for dataset in datasets:
            these, reference = finals[(dataset, job)], finals[(dataset, base)]
            common = sorted(set(these) & set(reference))
            if not common:
                cells.append("—")
            elif job == base:
                cells.append(" / ".join(f"{statistics.fmean(values(list(these.values()), key)):.{digits}f}"
                                        for key, digits in metrics) + f" ({_seed_list(sorted(these))})")
            else:
                parts_of_cell = []
                for key, digits in metrics:
                    a, b = values([these[s] for s in common], key), values([reference[s] for s in common], key)
                    low, high = welch_interval(a, b)
                    mark = "†" if not math.isnan(low) and (low > 0 or high < 0) else ""
                    parts_of_cell.append(f"{statistics.fmean(a) - statistics.fmean(b):+.{digits}f}{mark}")
                cells.append(" / ".join(parts_of_cell) + f" ({_seed_list(common)})")
        print(f"| {label} | " + " | ".join(cells) + " |")


def _seed_list(seeds: list[int]) -> str:
    """0,1,2,3 as 0-3; gaps listed."""
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one torch thread each")
    parser.add_argument("--plan", nargs="+", default=DEFAULT_PLAN,
                        choices=[job_name(s, b) for s in STRATEGIES for b in BUDGETS])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / OUT_NAME))
    parser.add_argument("--datasets", nargs="+", default=["grid"], help="mixtures to run on (evogan's DATASETS)")
    parser.add_argument("--report-only", action="store_true", help="print the table of what has finished; run nothing")
    parser.add_argument("--versus", default=f"{REFERENCE}@generations", choices=[job_name(s, b) for s in STRATEGIES for b in BUDGETS],
                        help="the job every row's difference is taken from (default: the reference recipe)")
    parser.add_argument("--ablation", action="store_true",
                        help="print only the default's ablation, one table over --datasets; run nothing")
    parser.add_argument("--keep-partial", action="store_true",
                        help="keep the newest checkpoint of every unfinished run in benchmarks/results; run nothing")
    args = parser.parse_args()
    out = Path(args.out)
    calibration = calibrate(RESULTS / OUT_NAME / "calibration.json",
                            time_missing=not (args.report_only or args.keep_partial or args.ablation))
    if args.ablation:
        ablation_report(args.datasets, args.seeds, out)
        print("\n" + kept_runs.made_with())
        return
    if args.keep_partial:
        for dataset in args.datasets:
            for job in args.plan:
                for seed in args.seeds:
                    kept_runs.keep(out, dataset, job, seed)
    elif not args.report_only:
        jobs = ([(args.datasets[0], job, seed) for job in args.plan for seed in args.seeds] if args.datasets == ["grid"]
                else [(d, job, seed) for seed in args.seeds for d in args.datasets for job in args.plan])
        with ThreadPoolExecutor(args.jobs) as pool:
            for line in pool.map(lambda item: run(*item, calibration, out), jobs):
                print(line, flush=True)
    for dataset in args.datasets:
        report(dataset, args.seeds, out, calibration, args.versus)
    print("\n" + kept_runs.made_with())


if __name__ == "__main__":
    main()
