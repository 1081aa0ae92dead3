"""What a comparison writes: summary.csv, summary.md, the figures and one self-contained report.html.

The tables are built once as plain rows and rendered twice (Markdown and HTML), so both say the same.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import re
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..io.plots import METRIC_TITLES, plain_text, scatter_samples  # noqa: E402
from ._stats import LOWER_IS_BETTER, MACHINE_DEPENDENT, MIN_SEEDS, TARGETS  # noqa: E402

__all__ = ["write_summary", "write_report", "plot_comparison", "estimate"]

#: Holm-corrected Welch p below this marks a cell better (▲) or worse (▼) than the baseline
ALPHA = 0.05


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _g(x, digits: int = 3) -> str:
    return "n/a" if _nan(x) else f"{x:.{digits}g}"


def estimate(mean: float, se: float) -> str:
    """``mean ± se`` to the precision the standard error allows (two significant digits of it)."""
    if _nan(mean):
        return "n/a"
    if _nan(se) or se <= 0:
        return f"{mean:.4g}"
    decimals = max(0, 1 - math.floor(math.log10(se)))
    return f"{mean:.{decimals}f} ± {se:.{decimals}f}"


def _arrow(metric: str) -> str:
    if metric in TARGETS:
        return f"→{TARGETS[metric]:g}"
    return "↓" if metric in LOWER_IS_BETTER else "↑"


def _verdict(row: dict) -> str:
    """▲ significantly better than the baseline, ▼ worse (Holm-corrected Welch p < ALPHA), '' otherwise. A metric
    with a target is better when its distance from the target (what ``diff`` measures) is smaller."""
    if _nan(row.get("welch_p_holm")) or row["welch_p_holm"] >= ALPHA or _nan(row["diff"]) or row["diff"] == 0:
        return ""
    better = (row["diff"] < 0) == (row["metric"] in LOWER_IS_BETTER or row["metric"] in TARGETS)
    return "▲" if better else "▼"


def _markdown(text: str) -> str:
    """``text`` (a name from a config or a plugin) as literal Markdown: no table breaks, HTML, links or emphasis."""
    text = re.sub(r"([\\`*\[\]<>|$~&#!])", r"\\\1", text)
    def underscores(run: re.Match) -> str:  # a run of _ inside a word is literal already
        inside = (run.start() > 0 and text[run.start() - 1].isalnum() and run.end() < len(text)
                  and text[run.end()].isalnum())
        return run.group() if inside else run.group().replace("_", "\\_")

    return re.sub(r"_+", underscores, text)


def _tables(table: list[dict], diffs: dict[str, list[str]], seeds: list[int],
            user=lambda text: text) -> list[tuple[str, list, list, str]]:
    """(title, header, rows, note) for each table of the summary; ``user`` renders text from configs (names,
    values) literally in the output format."""
    metrics = list(dict.fromkeys(r["metric"] for r in table))
    names = list(dict.fromkeys(r["strategy"] for r in table))
    baseline = names[0]
    cell = {(r["strategy"], r["metric"]): r for r in table}
    head = ["strategy"] + [f"{m} {_arrow(m)}" + (" (machine-dependent)" if m in MACHINE_DEPENDENT else "")
                           for m in metrics]
    means = [[user(name)] + [f"{estimate(cell[name, m]['mean'], cell[name, m]['se'])}{_verdict(cell[name, m])}"
                       + (" ⚠" if cell[name, m]["warning"] else "") for m in metrics] for name in names]
    tables = [(f"Results: mean ± standard error over seeds {', '.join(map(str, seeds))}", head, means,
               f"↑ higher is better, ↓ lower, →1 closest to 1 is best (judged by the distance). ▲ / ▼: better / "
               f"worse than {user(repr(baseline))} (Welch's t-test, Holm-corrected p < {ALPHA}). ⚠: see the warnings. "
               "Machine-dependent metrics (wall time, CPU seconds) are not tested unless asked (--time-tests); "
               "strategies ran for the generations their configs set, not for equal compute unless "
               "--equal-compute was given.")]
    against = []
    for name in names[1:]:
        for m in metrics:
            r = cell[name, m]
            interval = (f" [{_g(r['diff_low'])}, {_g(r['diff_high'])}]" if not _nan(r["diff_low"])
                        else f" [n/a: < {MIN_SEEDS} seeds]" if r["n"] < MIN_SEEDS else "")
            tests = ((f"{_g(r['welch_p'], 2)} ({_g(r['welch_p_holm'], 2)})",
                      f"{_g(r['mannwhitney_p'], 2)} ({_g(r['mannwhitney_p_holm'], 2)})") if r["tested"]
                     else ("not tested", "not tested"))
            against.append([user(name), f"{m} {_arrow(m)}", f"{_g(r['diff'])}{interval}", _g(r["hedges_g"], 2), *tests])
    if against:
        tables.append((f"Against {user(baseline)}", ["strategy", "metric", "difference of means [95 % Welch t CI]",
                                              "Hedges' g", "p Welch (Holm)", "p Mann–Whitney U (Holm)"], against,
                       "Two-sided tests; Holm's correction over every strategy × tested metric. For →1 metrics the "
                       f"difference is of the mean distance from 1. No interval or Hedges' g below {MIN_SEEDS} seeds; "
                       "with few seeds the tests have little power."))
    per_seed = [[user(name), m] + [_g(v, 4) for v in cell[name, m]["values"]] for name in names for m in metrics]
    tables.append(("Per seed", ["strategy", "metric"] + [f"seed {s}" for s in seeds], per_seed, ""))
    if any(diffs.values()):
        tables.append((f"Config differences from {user(baseline)}", ["strategy", "keys"],
                       [[user(name), user("; ".join(diffs[name])) or "(none)"] for name in names[1:]], ""))
    warnings = [[user(r["strategy"]), r["metric"], r["warning"]] for r in table if r["warning"]]
    if warnings:
        tables.append(("Warnings", ["strategy", "metric", "warning"], warnings,
                       "Modes covered, reverse KL and the spreads are computed from the high-quality samples only: "
                       "a mode counts as covered with a handful of them, and reverse KL from few samples is biased "
                       "upward by about (modes - 1) / (2 × samples)."))
    return tables


def write_summary(table: list[dict], diffs: dict[str, list[str]], seeds: list[int], out: Path) -> None:
    """summary.csv (every row, per-seed values joined by ';') and summary.md (the tables)."""
    with open(out / "summary.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(table[0]))
        writer.writeheader()
        for row in table:
            writer.writerow({**row, "values": ";".join(_g(v, 6) for v in row["values"])})
    lines = []
    for title, head, rows, note in _tables(table, diffs, seeds, user=_markdown):
        lines += [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += ["", note, ""] if note else [""]
    (out / "summary.md").write_text("\n".join(lines))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path)] if path.is_file() else []


@plain_text
def plot_comparison(runs: dict[str, list[Path]], out: Path, centres: dict[str, np.ndarray | None]) -> list[Path]:
    """metrics_vs_generation.png, metrics_vs_time.png, operators.png, samples.png."""

    histories = {name: [_jsonl(d / "metrics.jsonl") for d in dirs] for name, dirs in runs.items()}
    first = next(iter(histories.values()))[0]
    keys = [k for k in METRIC_TITLES if first and first[-1].get(k) is not None]
    written = []
    for axis, filename in (("generation", "metrics_vs_generation.png"), ("wall_time", "metrics_vs_time.png")):
        fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.2 * max(1, len(keys)), 3.4), squeeze=False)
        for ax, key in zip(axes.flat, keys):
            for name, seeds in histories.items():
                gens = sorted(set.intersection(*(set(h["generation"] for h in hist) for hist in seeds)))
                values = np.array([[next(h[key] for h in hist if h["generation"] == g) for g in gens] for hist in seeds],
                                  dtype=float)
                x = gens if axis == "generation" else np.array(
                    [[next(h["wall_time"] for h in hist if h["generation"] == g) for g in gens] for hist in seeds]).mean(0)
                ax.plot(x, values.mean(0), lw=1.2, label=name)
                ax.fill_between(x, values.min(0), values.max(0), alpha=0.2)
            ax.set_title(f"{METRIC_TITLES[key]} {_arrow(key)}", fontsize=10)
            ax.set_xlabel("generation" if axis == "generation" else "wall time (s)")
        axes.flat[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / filename, dpi=100)
        plt.close(fig)
        written.append(out / filename)
    written.append(_plot_operators(runs, out))
    written.append(_plot_samples(runs, out, centres))
    return written


def _plot_operators(runs: dict[str, list[Path]], out: Path) -> Path:
    """Share of all survivors (over generations and seeds) made by each operator, per strategy."""
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(runs), 3.6))
    shares = {}
    for name, dirs in runs.items():
        counts = {}
        for d in dirs:
            for row in _jsonl(d / "logbook.jsonl"):
                for op in row["survivors"].split():
                    counts[op] = counts.get(op, 0) + 1
        total = sum(counts.values()) or 1
        shares[name] = {op: c / total for op, c in counts.items()}
    operators = sorted({op for s in shares.values() for op in s})
    bottom = np.zeros(len(runs))
    for op in operators:
        heights = np.array([shares[name].get(op, 0.0) for name in runs])
        ax.bar(list(runs), heights, bottom=bottom, label=op)
        bottom += heights
    ax.set_ylabel("share of survivors")
    ax.set_ylim(0, 1)
    ax.tick_params(axis="x", labelrotation=20 if len(runs) > 3 else 0)
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "operators.png", dpi=100)
    plt.close(fig)
    return out / "operators.png"


def _plot_samples(runs: dict[str, list[Path]], out: Path, centres: dict[str, np.ndarray | None]) -> Path:
    """Each strategy's final samples (seed 0): a scatter over the mode centres (red x) for 2-D data, the last
    sample grid for images."""
    fig, axes = plt.subplots(1, len(runs), figsize=(3.4 * len(runs), 3.6), squeeze=False)
    for ax, (name, dirs) in zip(axes.flat, runs.items()):
        run_dir = dirs[0]
        grids = sorted((run_dir / "grids").glob("gen*.png"))
        if grids:
            ax.imshow(plt.imread(grids[-1]))
            ax.axis("off")
        elif (run_dir / "samples.npz").is_file():
            with np.load(run_dir / "samples.npz") as snapshots:
                last = max(snapshots.files, key=lambda k: int(k[3:]))
                points = snapshots[last]
            scatter_samples(ax, points, centres.get(name))
        ax.set_title(name, fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=100)
    plt.close(fig)
    return out / "samples.png"


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    head_html = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head_html}</tr>{body}</table>"


def write_report(path: Path, table: list[dict], diffs: dict[str, list[str]], seeds: list[int],
                 figures: list[Path]) -> None:
    """report.html: the tables and every figure on one page (images embedded, nothing fetched)."""
    names = list(dict.fromkeys(r["strategy"] for r in table))
    sections = "".join(f"<h2>{html.escape(title)}</h2>{_html_table(head, rows)}"
                       + (f"<p><small>{html.escape(note)}</small></p>" if note else "")
                       for title, head, rows, note in _tables(table, diffs, seeds))
    images = "".join(
        f"<h2>{html.escape(figure.stem.replace('_', ' '))}</h2><img alt='{figure.stem}' "
        f"src='data:image/png;base64,{base64.b64encode(figure.read_bytes()).decode()}'>"
        for figure in figures
    )
    path.write_text(f"""<!doctype html>
<html><head><meta charset="utf-8"><title>evogan comparison</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}table{{border-collapse:collapse;margin-bottom:.5em}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}img{{max-width:100%}}</style></head>
<body><h1>evogan comparison</h1>
<p>{len(names)} strategies × {len(seeds)} seed(s), written {datetime.now():%Y-%m-%d %H:%M}; baseline
{html.escape(names[0])}.</p>
{sections}
{images}
</body></html>
""")
