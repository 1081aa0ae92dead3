"""Command line: ``evogan run``, ``compare``, ``config``, ``export`` and ``train-classifier``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

from .config import PRESETS, ConfigError, config_reference, config_to_toml, load_config, parse_sweeps, presets
from . import __version__
from .errors import TrainingFailed
from .io.outputs import output_file
from .plugins import resolve_plugin_paths

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evogan", description="Evolutionary GANs on DEAP.")
    parser.add_argument("--version", action="version", version=f"evogan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one experiment (default: the built-in default, the best ring strategy measured)")
    run.add_argument("config", nargs="?", help="experiment TOML file or preset name, e.g. grid_egan_pack2 "
                     "(default: the built-in default; `evogan config --presets` lists them)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config key; VALUE is read as TOML, else as a plain string (repeatable)")
    run.add_argument("--out", metavar="DIR", help="run directory (default: runs/<name>/<timestamp>/)")
    run.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE_OR_FILE",
                     help="import a module or .py file that registers operators before names resolve (repeatable; "
                     "added to the config's plugins)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--resume", metavar="RUN_DIR",
                     help="continue the run in RUN_DIR from its newest readable checkpoint (its own config)")
    run.add_argument("--trust-plugins", action="store_true",
                     help="with --resume: import the plugins RUN_DIR's config names (they are code; without this, "
                     "or --import of each, a resume that needs them is refused)")
    run.add_argument("--trust-config", action="store_true",
                     help="with --resume: accept RUN_DIR's config.toml for a checkpoint that records no config (written "
                     "by evogan before 0.2), which cannot be checked against it")
    comp = sub.add_parser("compare", help="run strategies x seeds; write a summary with significance tests, plots, report.html")
    comp.add_argument("configs", nargs="+", metavar="CONFIG", help="one experiment TOML file or preset name per strategy")
    comp.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per strategy (default 3)")
    comp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="override a key in every strategy (repeatable)")
    comp.add_argument("--out", metavar="DIR", help="output folder (default: runs/compare/<timestamp>/); "
                      "run again with the same DIR to resume an interrupted comparison")
    comp.add_argument("--backend", choices=("sequential", "ray"), default="sequential",
                      help="one run after another, or every run as a Ray task (one CPU each)")
    comp.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE_OR_FILE",
                      help="import a module or .py file that registers operators, in every run (repeatable)")
    comp.add_argument("--sweep", dest="sweeps", action="append", default=[], metavar="KEY=V1,V2,...",
                      help="run every strategy at each value of KEY (repeatable: the Cartesian product); values "
                      "read as in --set, commas inside [] or quotes do not split")
    comp.add_argument("--time-tests", action="store_true",
                      help="also test wall time (machine-dependent: on a shared machine it measures the load)")
    comp.add_argument("--min-hq-samples", type=int, default=500, metavar="N",
                      help="warn when a metric rests on fewer than N high-quality samples in a run (default 500)")
    comp.add_argument("--equal-compute", action="store_true",
                      help="give every strategy the CPU time of the first one's generations (costs per generation "
                      "measured side by side first, kept in --out) instead of each its own generations")
    comp.add_argument("--rerun", action="store_true",
                      help="run folders in --out that hold another config are run again (default: an error)")
    show = sub.add_parser("config", help="print a resolved config as TOML, or the config reference")
    show.add_argument("config", nargs="?", help="experiment TOML file (default: the built-in default)")
    show.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    show.add_argument("--reference", action="store_true", help="print every key with its default and range (Markdown)")
    show.add_argument("--presets", action="store_true", help="list the experiment files shipped with evogan, by name")
    export = sub.add_parser("export", help="write a run's generator as a torch.export file that needs only torch")
    export.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (its newest sound checkpoint is used)")
    export.add_argument("--out", required=True, metavar="FILE", help="file to write, e.g. generator.pt2")
    export.add_argument("--member", type=int, default=0, help="population member (default 0: the best survivor)")
    export.add_argument("--island", type=int, default=0, help="island (default 0; islands runs have islands.count)")
    export.add_argument("--mixture", action="store_true",
                        help="every island's member as one program (z, component) -> samples, with the islands' "
                        "mixture weights in its info (what an islands run's metrics measure)")
    train = sub.add_parser("train-classifier", help="train the digit classifier behind the MNIST metrics")
    train.add_argument("--out", default="digit_classifier.pt", metavar="FILE",
                       help="weights file to write (the shipped one is evogan/assets/digit_classifier.pt)")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--seed", type=int, default=0)
    return parser


def _run(args) -> int:
    progress = False if args.quiet else None
    if (args.trust_plugins or args.trust_config) and not args.resume:
        raise ConfigError("--trust-plugins and --trust-config go with --resume (a new run imports what its config "
                          "and --import name)")
    if args.resume:
        if args.config or args.out:
            raise ConfigError("--resume continues a run with its own config.toml (and its plugins); drop CONFIG and "
                              "--out (--set may change what does not alter the run, e.g. generations to extend it; "
                              "--import confirms one of the run's own plugins)")
        from .runner import resume, summary_line

        trusted = True if args.trust_plugins else resolve_plugin_paths(args.imports)
        run_dir = resume(args.resume, args.overrides, progress=progress, trust_plugins=trusted,
                         trust_config=args.trust_config)
    else:
        config = load_config(args.config, args.overrides)  # before importing torch: a typo answers at once
        config.plugins += [p for p in resolve_plugin_paths(args.imports) if p not in config.plugins]
        from .runner import run, summary_line

        run_dir = run(config, args.out, progress=progress)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    print(f"run directory: {run_dir}\n{summary_line(metrics)} "
          f"({metrics['n_samples']} samples, generation {metrics['generation']}, {metrics['wall_time']:.0f} s)")
    return 0


def _compare(args) -> int:
    for path in args.configs:  # every file and sweep point validates before the heavy imports
        for point in parse_sweeps(args.sweeps):
            load_config(path, args.overrides + [f"{key}={value}" for key, value in point])
    from .compare import compare

    result = compare(args.configs, seeds=args.seeds, overrides=args.overrides, sweep=args.sweeps, out=args.out,
                     backend=args.backend, rerun=args.rerun, plugins=resolve_plugin_paths(args.imports),
                     time_tests=args.time_tests, min_hq_samples=args.min_hq_samples,
                     equal_compute=args.equal_compute)
    print((result.out / "summary.md").read_text())
    print(f"report: {result.report}")
    return 0


def _config(args) -> int:
    if args.presets:
        described = presets()
        width = max(map(len, described))
        print("\n".join(f"{name:<{width}}  {about}" for name, about in described.items()))
        print(f"\nrun one with `evogan run NAME`; its resolved config: `evogan config NAME`; the files are in {PRESETS}")
        return 0
    print(config_reference() if args.reference else config_to_toml(load_config(args.config, args.overrides)))
    return 0


def _export(args) -> int:
    from .io.export import export_generator

    out = export_generator(args.run_dir, args.out, member=args.member, island=args.island, mixture=args.mixture)
    call = "(z, component)" if args.mixture else "(z)"
    print(f"wrote {out}; load it with torch alone: torch.export.load({str(out)!r}).module(){call}")
    return 0


def _train_classifier(args) -> int:
    import torch

    from .data import bundled_mnist
    from .models.classifier import classifier_accuracy, heldout_split, train_classifier

    if args.epochs < 1:
        raise ConfigError(f"--epochs: {args.epochs} is out of range; allowed: >= 1")
    out = output_file(args.out, example="classifier.pt")  # before training: a bad --out is one line, not lost work
    images, labels = bundled_mnist()
    train_index, heldout_index = heldout_split(labels, seed=args.seed)
    model = train_classifier(images[train_index], labels[train_index], epochs=args.epochs, seed=args.seed)
    accuracy = classifier_accuracy(model, images[heldout_index], labels[heldout_index])
    meta = {"heldout_accuracy": accuracy, "epochs": args.epochs, "seed": args.seed, "train_size": len(train_index)}
    torch.save({"state_dict": model.state_dict(), "meta": meta}, out)
    print(f"held-out accuracy {100 * accuracy:.2f}% on {len(heldout_index)} digits; wrote {out}")
    return 0


COMMANDS = {"run": _run, "compare": _compare, "config": _config, "export": _export,
            "train-classifier": _train_classifier}


def _one_line_warnings() -> None:
    """Warnings as ``evogan: warning: <message>`` (first line), not Python's four lines with the source line;
    ``EVOGAN_WARNINGS=full`` keeps Python's own format."""
    if os.environ.get("EVOGAN_WARNINGS", "").lower() == "full":
        return

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).strip().splitlines()
        print(f"evogan: warning: {text[0] if text else category.__name__}", file=file or sys.stderr)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _one_line_warnings()
    try:
        return COMMANDS[args.command](args)
    except ConfigError as err:
        print(f"evogan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evogan: interrupted", file=sys.stderr)
        return 130
    except TrainingFailed as err:
        print(f"evogan: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a full disk, a folder that became unwritable: one line, the checkpoints stay intact
        print(f"evogan: error: {err.strerror or err}" + (f": {err.filename}" if err.filename else ""), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
