"""Command line: ``evogan run [CONFIG.toml] [--set KEY=VALUE ...] [--out DIR]`` and ``evogan config``."""

from __future__ import annotations

import argparse
import json
import sys

from .config import ConfigError, config_reference, config_to_toml, load_config

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evogan", description="Evolutionary GANs on DEAP.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one experiment (default: E-GAN + crossover on the 8-Gaussian ring)")
    run.add_argument("config", nargs="?", help="experiment TOML file (default: the built-in default)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config key; VALUE is read as TOML, else as a plain string (repeatable)")
    run.add_argument("--out", metavar="DIR", help="run directory (default: runs/<name>/<timestamp>/)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    show = sub.add_parser("config", help="print a resolved config as TOML, or the config reference")
    show.add_argument("config", nargs="?", help="experiment TOML file (default: the built-in default)")
    show.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    show.add_argument("--reference", action="store_true", help="print every key with its default and range (Markdown)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "config":
            print(config_reference() if args.reference else config_to_toml(load_config(args.config, args.overrides)))
            return 0
        config = load_config(args.config, args.overrides)
        from .runner import run

        run_dir = run(config, args.out, progress=False if args.quiet else None)
    except ConfigError as err:
        print(f"evogan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evogan: interrupted", file=sys.stderr)
        return 130
    metrics = json.loads((run_dir / "metrics.json").read_text())
    print(
        f"run directory: {run_dir}\n"
        f"modes covered {metrics['modes_covered']}/{metrics['n_modes']}, "
        f"high quality {metrics['high_quality']:.1f}%, reverse KL {metrics['reverse_kl']:.3f} "
        f"({metrics['n_samples']} samples, generation {metrics['generation']}, {metrics['wall_time']:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
