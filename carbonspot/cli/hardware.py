"""``carbonspot hardware``: show accelerators (templates or YAML), list templates, export YAML."""

from __future__ import annotations

import argparse
import sys

from carbonspot.cli._carbon_flags import add_preset_argument
from carbonspot.cli._output import print_json, print_table
from carbonspot.errors import InputError
from carbonspot.presets import DEFAULT_PRESET


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``hardware show|templates|export``."""
    parser = subparsers.add_parser(
        "hardware",
        help="show accelerator area, clock and peak metrics",
        description="Accelerators by template spec (e.g. dimc:dim=128,sram_bytes=131072), "
        "our YAML or ZigZag v3 YAML.",
    )
    sub = parser.add_subparsers(dest="hardware_command", metavar="ACTION")
    show = sub.add_parser("show", help="hierarchy, area, clock and peak metrics")
    show.add_argument(
        "specs", nargs="+", metavar="SPEC", help="NAME:key=value,... or path to an accelerator YAML"
    )
    add_preset_argument(show, default=DEFAULT_PRESET)
    show.add_argument("--format", default="table", choices=("table", "json"))
    show.add_argument(
        "--workload-weight-bytes",
        type=int,
        default=None,
        help="weight bytes of the intended workload (templates keep W in SRAM when they fit)",
    )
    show.set_defaults(func=run_show)
    tpl = sub.add_parser("templates", help="list the template parameters and their values")
    tpl.add_argument("--format", default="table", choices=("table", "json"))
    tpl.set_defaults(func=run_templates)
    exp = sub.add_parser("export", help="write an accelerator as our YAML")
    exp.add_argument("spec", metavar="SPEC")
    exp.add_argument("-o", "--output", default="-", help="file (default: stdout)")
    add_preset_argument(exp, default=DEFAULT_PRESET)
    exp.add_argument("--workload-weight-bytes", type=int, default=None)
    exp.set_defaults(func=run_export)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_show(args: argparse.Namespace) -> int:
    """Print one object (one spec) or a list (several) in JSON, or tables."""
    from carbonspot.hardware.figures import describe
    from carbonspot.hardware.readers import load_accelerator

    infos = []
    for spec in args.specs:
        info = describe(
            load_accelerator(spec, args.preset, args.workload_weight_bytes), args.preset
        )
        info["spec"] = spec  # label results by what the user typed (a template spec or a path)
        infos.append(info)
    if args.format == "json":
        print_json(infos[0] if len(infos) == 1 else infos)
        return 0
    for i, info in enumerate(infos):
        if i:
            sys.stdout.write("\n")
        _print_info(info)
    return 0


def _print_info(info: dict) -> None:
    out = sys.stdout
    arr = info["array"]
    dims = "x".join(f"{k}={v}" for k, v in arr["dims"].items())
    out.write(f"{info['spec']}  (preset {info['preset']})\n")
    out.write(f"array: {arr['type']} {dims}, {arr['input_bits']}b x {arr['weight_bits']}b\n")
    print_table(
        [
            {
                "area_mm2": info["area_mm2"],
                "tclk_ns": info["tclk_ns"],
                "peak_tops": info["peak_tops"],
                "tops_per_w": info["peak_tops_per_w"],
                "tops_per_mm2": info["peak_tops_per_mm2"],
                "macs_per_cycle": info["macs_per_cycle"],
            }
        ]
    )
    out.write("\nmemory hierarchy (bottom-up)\n")
    print_table(
        [
            {
                "level": m["name"],
                "operands": ",".join(m["operands"]),
                "size_bits": m["size_bits"],
                "bw_bits": m["r_bw_bits"],
                "r_pj": m["r_energy_pj"],
                "w_pj": m["w_energy_pj"],
                "area_mm2_each": m["area_mm2_each"],
                "served": ",".join(m["served_dims"]) or "-",
                "replicas": m["replicas"],
            }
            for m in info["hierarchy"]
        ]
    )
    out.write("\narea breakdown\n")
    area = info["area_mm2"]
    print_table(
        [
            {"part": k, "area_mm2": v, "share_%": 100 * v / area if area else 0.0}
            for k, v in info["area_breakdown_mm2"].items()
        ]
    )
    out.write("\nclock breakdown\n")
    print_table([{"part": k, "tclk_ns": v} for k, v in info["tclk_breakdown_ns"].items()])


def run_templates(args: argparse.Namespace) -> int:
    """List every template parameter: templates, type, default, allowed values and meaning."""
    from carbonspot.hardware.templates import TEMPLATE_PARAMETERS

    rows = [
        {
            "parameter": p.name,
            "templates": ",".join(p.templates),
            "type": p.kind.__name__,
            "default": p.default_text,
            "allowed": p.allowed_text(),
            "meaning": p.doc,
        }
        for p in TEMPLATE_PARAMETERS
    ]
    if args.format == "json":
        print_json(rows)
    else:
        print_table(rows)
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the accelerator as our YAML (docs/hardware-yaml.md)."""
    from carbonspot.hardware.readers import load_accelerator
    from carbonspot.hardware.readers.yaml import accelerator_to_yaml

    acc = load_accelerator(args.spec, args.preset, args.workload_weight_bytes)
    text = accelerator_to_yaml(acc)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise InputError(
                str(exc.strerror or exc), source=args.output, field="--output"
            ) from None
    return 0
