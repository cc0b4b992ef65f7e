"""``carbonspot report SOURCE --out DIR``: the fastest vs the greenest designs, side by side."""

from __future__ import annotations

import argparse
import sys

from carbonspot.cli._carbon_flags import add_preset_argument

FORMATS = ("md", "html")  # kept here so `carbonspot --help` need not import matplotlib


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` sub-command."""
    p = subparsers.add_parser(
        "report",
        help="compare the most performant and the most carbon-efficient designs, with plots",
        description=(
            "Select, among the feasible designs of a sweep CSV or a study (those meeting the "
            "frame deadline and the constraints), the most performant (lowest latency; highest "
            "TOP/s/W), the most energy-efficient, the most carbon-efficient under CA and under "
            "PA, and the knee of the Pareto front; print them side by side and write the "
            "table, the figures and an index page to DIR."
        ),
    )
    p.add_argument(
        "source",
        metavar="SOURCE",
        help="a sweep CSV (from 'carbonspot sweep') or a study name (or its study YAML file)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the report to")
    p.add_argument("--format", choices=FORMATS, default="md", help="index page format")
    p.add_argument(
        "--storage",
        metavar="URL",
        default=None,
        help="optuna storage of the study (default: studies/runs/NAME.journal)",
    )
    p.add_argument(
        "--workload",
        metavar="NAME",
        default=None,
        help="compare on one workload instead of the geometric mean over all of them",
    )
    p.add_argument(
        "--layers-of",
        metavar="SELECTION",
        default=None,
        choices=(
            "fastest",
            "highest_tops_per_w",
            "lowest_energy",
            "lowest_carbon_ca",
            "lowest_carbon_pa",
            "knee",
        ),
        help="which selected design's layers to draw (default: knee)",
    )
    add_preset_argument(
        p,
        help="model preset to re-evaluate the per-layer figure with (default: the one whose "
        "totals match the source)",
    )
    p.add_argument(
        "--no-layers",
        action="store_true",
        help="skip the per-layer figure (it re-runs the cost model on one design)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load, select, print the table and write the report folder."""
    from carbonspot.report.sources import load_source
    from carbonspot.report.write import build_report, report_text, write_report

    ds = load_source(args.source, storage=args.storage, workload=args.workload)
    if args.preset is not None:
        from carbonspot.presets import get_preset

        get_preset(args.preset)  # unknown name: InputError
    rep = build_report(
        ds,
        layers_of=args.layers_of,
        per_layer=not args.no_layers,
        presets=[args.preset] if args.preset else None,
    )
    files = write_report(rep, args.out, args.format)
    sys.stdout.write(report_text(rep))
    for note in rep.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(files)} files to {args.out} (open {files[-1]})", file=sys.stderr)
    return 0
