"""The command line: ``python -m imagecatalog demo``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from imagecatalog.demo import run_demo

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m imagecatalog",
        description="A faithful model of a cloud provider's VM image catalog.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="walk through public, custom and shared images, rules included"
    )
    demo.add_argument("--seed", type=int, default=2026, help="seed for the IDs (default 2026)")
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        run_demo(seed=arguments.seed)
    return 0
