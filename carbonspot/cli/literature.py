"""``carbonspot literature``: carbon per inference of published IMC chips (the paper's figure)."""

from __future__ import annotations

import argparse

from carbonspot.carbon.chips import load_chips
from carbonspot.carbon.literature import SUITES
from carbonspot.carbon.params import CARBON_PRESETS
from carbonspot.cli._carbon_flags import (
    add_carbon_arguments,
    add_preset_argument,
    carbon_params_from_args,
)
from carbonspot.cli._output import print_json, print_table
from carbonspot.errors import InputError
from carbonspot.formatting import CARBON_LEGEND


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``literature`` sub-command."""
    p = subparsers.add_parser(
        "literature",
        help="carbon per inference of published IMC chips (CA and PA)",
        description=(
            "Compute CA and PA carbon per inference of the 13 chips of the CarbonSpot paper "
            "(plus your own with --chips), name the most performant and most carbon-efficient "
            "chips, and optionally draw the figure."
        ),
    )
    p.add_argument("--suite", choices=sorted(SUITES), default="tiny", help="benchmark suite")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--plot", metavar="FILE", help="write the figure (PNG, PDF or SVG by suffix)")
    p.add_argument(
        "--chips",
        metavar="FILE",
        action="append",
        help="CSV of more chips, same columns as the built-in table (repeatable)",
    )
    p.add_argument(
        "--no-builtin", action="store_true", help="leave out the 13 built-in chips (needs --chips)"
    )
    add_preset_argument(
        p,
        names=CARBON_PRESETS,
        help="carbon preset (default corrected; carbonspot2025 reproduces the paper)",
    )
    p.add_argument(
        "--include-package-dram",
        action="store_true",
        help="charge package and DRAM too (the paper charges the die only)",
    )
    add_carbon_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate, print and plot."""
    from carbonspot.report.literature import (
        REFERENCE_COLUMNS,
        TABLE_COLUMNS,
        evaluate_literature,
        literature_json,
        literature_rows,
        plot_literature,
        reference_rows,
    )

    if args.no_builtin and not args.chips:
        raise InputError("--no-builtin needs at least one --chips FILE", field="--no-builtin")
    params = carbon_params_from_args(args)
    chips = load_chips(args.chips, builtin=not args.no_builtin)
    res = evaluate_literature(
        chips, SUITES[args.suite], params, include_package_dram=args.include_package_dram
    )
    if args.plot:
        try:
            plot_literature(res, args.plot)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot write the figure: {exc}", field="--plot") from None
    if args.format == "json":
        print_json(literature_json(res))
    else:
        print_table(literature_rows(res), TABLE_COLUMNS)
        print(CARBON_LEGEND)
        print("op_pct_ca, op_pct_pa: operational share of the carbon in %")
        print(
            f"most performant: {res.chip_label('most_performant')}; most carbon-efficient: "
            f"CA {res.chip_label('most_carbon_efficient_ca')}, "
            f"PA {res.chip_label('most_carbon_efficient_pa')}  "
            f"(suite {res.suite.name}, preset {params.preset})"
        )
        refs = reference_rows(res)
        if refs:
            print("\nreferences (id [n]: the citation number in the CarbonSpot paper's figure)")
            print_table(refs, REFERENCE_COLUMNS)
    return 0
