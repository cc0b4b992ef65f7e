"""The ``carbonspot`` command: one argparse parser, one sub-command module per concept.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)`` which adds its
sub-command(s) and sets ``func`` (taking the parsed ``argparse.Namespace`` and returning an
exit code). Errors a user can fix are raised as :class:`carbonspot.errors.InputError` and
printed as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from carbonspot import __version__
from carbonspot.errors import InputError, InputWarning

COMMAND_MODULES = (
    "workload",
    "hardware",
    "validate",
    "evaluate",
    "llm",
    "sweep",
    "literature",
    "study",
    "dashboard",
    "report",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits with code 2 on bad flags already; keep its one-line message."""


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available sub-command registered."""
    parser = _Parser(
        prog="carbonspot",
        description="Performance and carbon-footprint exploration of DNN accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"carbonspot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"carbonspot.cli.{name}")
        except ModuleNotFoundError as exc:  # sub-command not built yet
            if exc.name == f"carbonspot.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Input warnings as one ``carbonspot: warning:`` line; others as Python prints them."""
    if issubclass(category, InputWarning):
        print(f"carbonspot: warning: {message}", file=sys.stderr)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


_PYTHON_SHOWWARNING = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    warnings.showwarning = _show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"carbonspot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("carbonspot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly, like other CLIs
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
