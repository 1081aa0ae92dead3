"""Figures of a run: samples over time, fitness curves, operator selection rates, metrics."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_samples", "plot_mode_counts", "plot_islands", "plot_fitness", "plot_operators", "plot_metrics", "plot_diagnostics", "plot_partitions", "spread", "METRIC_TITLES",
           "plain_text"]


def _save(fig, path: Path, unused=()) -> None:
    """Blank the panels a grid of axes did not fill, then write the figure and free it."""
    for ax in unused:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plain_text(plot):
    """Run ``plot`` with matplotlib's mathtext off: names from configs and plugins (``a$^$b``) are shown as
    written, instead of being parsed as TeX, which fails after the run's work is done."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with plt.rc_context({"text.parse_math": False}):
            return plot(*args, **kwargs)
    return wrapper


def spread(items: list, count: int) -> list:
    """``count`` items evenly spread over ``items``, first and last included."""
    if len(items) <= count:
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in sorted(set(picks))]


def scatter_samples(ax, points: np.ndarray, centres: np.ndarray | None, title: str = "", *, color="tab:blue",
                    label: str | None = None) -> None:
    """Generated 2-D samples (blue) over the mode centres (red x), on axes framing the centres."""
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color=color, label=label, rasterized=True)
    if centres is not None:
        span = np.abs(centres).max() * 1.5 + 0.5
        ax.scatter(centres[:, 0], centres[:, 1], s=25, marker="x", color="tab:red")
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)


@plain_text
def sample_figure(points: np.ndarray, centres: np.ndarray | None, title: str):
    """One scatter of ``points`` as a matplotlib figure (for TensorBoard); the caller closes it."""
    fig, ax = plt.subplots(figsize=(3.6, 3.6))
    scatter_samples(ax, points, centres, title)
    fig.tight_layout()
    return fig


@plain_text
def plot_samples(snapshots: dict[int, np.ndarray], centres: np.ndarray, path: Path, panels: int = 6) -> None:
    """Scatter of generated samples (blue) over the mode centres (red) at several generations."""
    gens = spread(sorted(snapshots), panels)
    cols = min(3, len(gens))
    rows = math.ceil(len(gens) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    for ax, gen in zip(axes.flat, gens):
        scatter_samples(ax, snapshots[gen], centres, f"generation {gen}")
    _save(fig, path, unused=list(axes.flat)[len(gens):])


@plain_text
def plot_mode_counts(counts, path: Path, weights=None, title: str = "") -> None:
    """The final per-mode histogram behind modes and reverse KL.

    1,000 modes (Stacked MNIST) are a 10 x 100 heat map, row = first digit, column = the other two, empty modes
    white; fewer modes are bars beside the count each would get from the true weights (equal when ``weights`` is
    None).
    """
    counts = np.asarray(counts, dtype=float)
    k, total = len(counts), counts.sum()
    if k == 1000:
        fig, ax = plt.subplots(figsize=(12, 2.6))
        grid = np.ma.masked_equal(counts.reshape(10, 100), 0)
        image = ax.imshow(grid, aspect="auto", cmap="viridis", interpolation="nearest")
        ax.set_facecolor("white")
        ax.set_xlabel("second and third digit (00-99)")
        ax.set_ylabel("first digit")
        ax.set_yticks(range(10))
        fig.colorbar(image, ax=ax, label="samples", pad=0.01)
        ax.set_title(f"{title}{int((counts > 0).sum())} of 1000 modes reached (white: none)", fontsize=10)
    else:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.22 * k + 1.5), 3.2))
        expected = (np.full(k, 1.0 / k) if weights is None else np.asarray(weights, float) / np.sum(weights)) * total
        modes = np.arange(k)
        ax.bar(modes, counts, color="tab:blue", label="generated (high quality)")
        ax.step(np.arange(k + 1) - 0.5, np.append(expected, expected[-1]), where="post", color="black", lw=1,
                label="expected from the true weights")
        dropped = counts == 0
        if dropped.any():
            ax.plot(modes[dropped], np.zeros(int(dropped.sum())), "x", color="tab:red", ms=8, mew=2, clip_on=False,
                    label="dropped")
        ax.set_xlabel("mode")
        ax.set_ylabel("samples")
        ax.set_xlim(-0.5, k - 0.5)
        ax.set_ylim(0, max(counts.max(), expected.max(), 1.0) * 1.3)  # no high-quality sample at all: still an axis
        ax.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
        ax.set_title(f"{title}{int((counts > 0).sum())} of {k} modes reached (red: dropped)", fontsize=10)
    _save(fig, path)


@plain_text
def plot_islands(rows: list[dict], path: Path, samples: list | None = None, centres: np.ndarray | None = None) -> None:
    """Island runs: the mixture weights over generations and the migrants received, one colour per island; with
    2-D ``samples`` (one array per island), each island's final samples in its colour over the mode centres."""
    gens = np.array([r["gen"] for r in rows])
    weights = np.array([[float(w) for w in str(r["mixture"]).split()] for r in rows])
    colours = plt.get_cmap("tab10").colors
    panels = 3 if samples is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.6 * panels, 3.8))
    for k in range(weights.shape[1]):
        axes[0].plot(gens, weights[:, k], lw=1.4, color=colours[k % 10], label=f"island {k}")
    axes[0].set_title("mixture weights of the islands' samples", fontsize=10)
    axes[0].set_ylabel("weight")
    axes[0].set_ylim(0, max(1.0, float(weights.max()) * 1.05))
    axes[0].legend(fontsize=7, loc="best")
    axes[1].plot(gens, np.cumsum([r.get("migrated", 0) for r in rows]), color="black", lw=1.4, label="migrants")
    if any(r.get("discriminators_adopted") for r in rows):
        axes[1].plot(gens, np.cumsum([r.get("discriminators_adopted", 0) for r in rows]), color="tab:red", lw=1.2,
                     ls="--", label="discriminators adopted")
    axes[1].set_title("exchanges so far (all islands)", fontsize=10)
    axes[1].set_ylabel("count")
    axes[1].legend(fontsize=7, loc="upper left")
    for ax in axes[:2]:
        ax.set_xlabel("generation")
    if samples is not None:
        for k, points in enumerate(samples):  # the centres once, over the last island's samples
            scatter_samples(axes[2], points, centres if k == len(samples) - 1 else None,
                            "final samples of each island", color=colours[k % 10], label=f"island {k}")
        axes[2].legend(fontsize=7, loc="upper right", markerscale=4)
    _save(fig, path)


#: the fitness panel's title for each fitness in fitness.FITNESSES (another name is shown as itself)
FITNESS_TITLES = {"egan": "F = F_q + γ F_d", "egan_released": "F = F_q − γ F_d", "quality": "F = F_q", "diversity": "F = F_d"}


def _moving_average(counts: np.ndarray, totals: np.ndarray, window: int) -> np.ndarray:
    """Windowed rate sum(counts) / sum(totals): no zero-padding dip at the ends."""
    kernel = np.ones(min(window, len(counts)))
    num = np.convolve(counts, kernel, mode="same")
    den = np.convolve(totals, kernel, mode="same")
    return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of ``values``, NaNs skipped, shorter windows at the ends."""
    finite = np.isfinite(values)
    return _moving_average(np.where(finite, values, 0.0), finite.astype(float), window)


@plain_text
def plot_fitness(rows: list[dict], path: Path, fitness: str = "egan", learning_rates: dict | None = None) -> None:
    """F, F_q, F_d over the valid children (min-max band, mean, and its moving average), the D loss, and the
    learning-rate schedules (``learning_rates``: label -> rate per generation of ``rows``) when given."""
    gens = np.array([r["gen"] for r in rows])
    window = max(1, len(rows) // 60)  # about 60 independent points across the run, however long it is
    fig, grid = plt.subplots(2, 3, figsize=(13, 6.4))
    axes = list(grid.flat)
    if not learning_rates:
        axes[4].axis("off")
    axes[5].axis("off")
    titles = (f"fitness: {FITNESS_TITLES.get(fitness, fitness)}", "F_q (quality): mean D(G(z))",
              "F_d (diversity): −log ‖∇_D L_D‖")
    for ax, key, label in zip(axes, ("fitness", "f_q", "f_d"), titles):
        avg = np.array([r[f"{key}_avg"] for r in rows], dtype=float)
        ax.fill_between(gens, [r[f"{key}_min"] for r in rows], [r[f"{key}_max"] for r in rows], color="tab:blue",
                        alpha=0.15, lw=0, label="children: min–max")
        ax.plot(gens, avg, lw=0.5, color="tab:blue", alpha=0.45, label="children: mean")
        ax.plot(gens, _smooth(avg, window), lw=1.6, color="tab:orange", label=f"mean, {window}-generation average")
        ax.set_title(label, fontsize=10)
        ax.set_ylabel(key.replace("fitness", "F"))
    axes[0].legend(fontsize=7, loc="best")
    d_loss = np.array([r["d_loss"] for r in rows], dtype=float)
    axes[3].plot(gens, d_loss, lw=0.5, color="tab:gray", alpha=0.6, label="per generation")
    axes[3].plot(gens, _smooth(d_loss, window), lw=1.6, color="black", label=f"{window}-generation average")
    axes[3].set_title("discriminator loss", fontsize=10)
    axes[3].set_ylabel("L_D (mean over the D steps)")
    axes[3].legend(fontsize=7, loc="best")
    if learning_rates:
        for (label, rates), colour, dash in zip(learning_rates.items(), ("tab:green", "tab:red"), ("-", "--")):
            axes[4].plot(gens, rates, lw=1.6, color=colour, ls=dash, label=label)
        axes[4].ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
        axes[4].set_title("learning rates (the schedule)", fontsize=10)
        axes[4].set_ylabel("learning rate")
        axes[4].legend(fontsize=7, loc="best")
    for ax in axes[:5]:
        ax.set_xlabel("generation")
    _save(fig, path)


@plain_text
def plot_operators(rows: list[dict], mutations: list[str], path: Path, window: int = 25, crossover: bool = True) -> None:
    """Share of survivors produced by each mutation (and, with ``crossover``, made with it), moving average over
    ``window``."""
    gens = np.array([r["gen"] for r in rows])
    total = np.array([sum(r[f"sel_{m}"] for m in mutations) for r in rows], dtype=float)
    fig, axes = plt.subplots(1, 2 if crossover else 1, figsize=(11 if crossover else 5.8, 3.4), squeeze=False)
    axes = list(axes.flat)
    rates = [_moving_average(np.array([r[f"sel_{m}"] for r in rows], dtype=float), total, window) for m in mutations]
    axes[0].stackplot(gens, rates, labels=mutations, alpha=0.85)
    axes[0].set_title(f"operator selection rate (survivors, {window}-generation average)", fontsize=10)
    axes[0].legend(fontsize=8, loc="upper right")
    if crossover:
        cross = _moving_average(np.array([r["sel_crossover"] for r in rows], dtype=float), total, window)
        axes[1].plot(gens, cross, color="tab:purple")
        axes[1].set_title("survivors made with crossover", fontsize=10)
    for ax in axes:
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of survivors")
        ax.set_xlabel("generation")
    _save(fig, path)


#: metric key → panel title, in panel order; a run plots the keys its dataset reports
METRIC_TITLES = {
    "modes_covered": "modes covered",
    "high_quality": "% high-quality samples",
    "reverse_kl": "reverse KL",
    "gap_mass": "% samples > 10σ from every mode",
    "spread_radial": "near-mode spread, radial (σ)",
    "spread_tangential": "near-mode spread, tangential (σ)",
    "fid": "FID",
    "kid": "KID",
    "inception_score": "Inception Score",
    "modes": "modes covered",
    "kl": "KL(generated || uniform)",
    "entropy_score": "entropy score",
    "precision": "precision (quality)",
    "recall": "recall (coverage)",
    "density": "density (quality)",
    "coverage": "coverage",
}


#: metric key → y-axis label, where the title alone does not say the unit
METRIC_UNITS = {"modes_covered": "modes", "modes": "modes", "high_quality": "% of samples", "gap_mass": "% of samples",
                "spread_radial": "σ (1 = a perfect mode)", "spread_tangential": "σ (1 = a perfect mode)",
                "reverse_kl": "nats", "kl": "nats"}


def _panels(rows: list[dict], keys: list[str], titles: dict, path: Path, *, x: str, columns: int = 3,
            **style) -> None:
    """One panel per key of ``rows`` against ``x``, ``columns`` to a row, titled from ``titles`` (the key itself
    otherwise)."""
    cols = min(columns, len(keys))
    lines = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(lines, cols, figsize=(4.2 * cols, 3.0 * lines), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        ax.plot([r[x] for r in rows], [r.get(key) for r in rows], lw=1, **style)
        ax.set_title(titles.get(key, key), fontsize=10)
        ax.set_xlabel("generation")
        ax.set_ylabel(METRIC_UNITS.get(key, titles.get(key, key).split(" (")[0]), fontsize=9)
        if key in ("modes_covered", "modes"):
            ax.axhline(rows[0]["n_modes"], color="tab:red", lw=0.8, ls="--", label=f"all {rows[0]['n_modes']} modes")
            ax.legend(fontsize=8, loc="lower right")
    _save(fig, path, unused=list(axes.flat)[len(keys):])


@plain_text
def plot_metrics(history: list[dict], path: Path) -> None:
    """One panel per reported metric over generations, three to a row (dashed: the number of modes)."""
    keys = [k for k in METRIC_TITLES if history and history[-1].get(k) is not None]
    if keys:
        _panels(history, keys, METRIC_TITLES, path, x="generation", marker=".")


#: logbook diagnostics → panel title (other keys are titled by their name)
DIAGNOSTIC_TITLES = {
    "k_t": "BEGAN k_t (a sudden drop signals collapse)",
    "m_global": "BEGAN M_global (convergence)",
}


@plain_text
def plot_diagnostics(rows: list[dict], keys: list[str], path: Path) -> None:
    """One panel per family diagnostic in the logbook (BEGAN's k_t and M_global), over generations."""
    keys = [k for k in keys if rows and k in rows[-1]]
    if keys:
        _panels(rows, keys, DIAGNOSTIC_TITLES, path, x="gen")


@plain_text
def plot_partitions(history: list[dict], pool: np.ndarray, partitions: list[np.ndarray], path: Path) -> None:
    """DynGAN: partition sizes over generations (stacked) and, for 2-D data, the pool coloured by final partition."""
    gens = [h["generation"] for h in history]
    count = max(len(h["sizes"]) for h in history)
    sizes = np.array([h["sizes"] + [0] * (count - len(h["sizes"])) for h in history]).T
    points = pool.ndim == 2 and pool.shape[1] == 2
    fig, axes = plt.subplots(1, 2 if points else 1, figsize=(11 if points else 5.5, 3.6), squeeze=False)
    axes[0, 0].stackplot(gens, sizes, labels=[f"niche {i}" for i in range(count)], alpha=0.85)
    axes[0, 0].set_title("DynGAN partitions (real samples per niche)", fontsize=10)
    axes[0, 0].set_xlabel("generation")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    if points:
        for i, members in enumerate(partitions):
            axes[0, 1].scatter(pool[members, 0], pool[members, 1], s=3, label=f"niche {i}", rasterized=True)
        axes[0, 1].set_aspect("equal")
        axes[0, 1].set_title("final partitions of the real pool", fontsize=10)
    _save(fig, path)
