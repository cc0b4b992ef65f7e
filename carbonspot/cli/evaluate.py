"""``carbonspot evaluate``: one workload on one accelerator — performance, carbon, per-layer mappings."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from typing import Any

from carbonspot import design as design_mod
from carbonspot.cli._carbon_flags import (
    CarbonFlags,
    add_carbon_arguments,
    add_preset_argument,
    carbon_flags,
)
from carbonspot.cli._output import print_json, print_table
from carbonspot.errors import InputError
from carbonspot.formatting import CARBON_LEGEND, shorten_names
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER, MAPPERS, OBJECTIVES
from carbonspot.presets import get_preset
from carbonspot.workload.zoo.llm import inference_unit

# The design row's headline metrics, without its identity and feasibility columns.
SUMMARY_COLUMNS = tuple(
    c
    for c in design_mod.BASE_COLUMNS
    if c not in ("workload", "acc_type", "sram_bytes", "dim", "feasible", "reason")
)
# Per-layer fields of a result, in the JSON record's order (the mappings follow).
LAYER_FIELDS = (
    "layer",
    "operator",
    "macs",
    "feasible",
    "reason",
    "energy_pj",
    "latency_cycles",
    "utilization",
)
LAYER_COLUMNS = (
    "layer",
    "operator",
    "macs",
    "feasible",
    "energy_pj",
    "latency_cycles",
    "utilization",
    "spatial",
    "reason",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` sub-command."""
    p = subparsers.add_parser(
        "evaluate",
        help="map and cost one workload on one accelerator (performance + carbon)",
        description=(
            "Map every layer of a workload onto an accelerator, cost it (energy, latency, "
            "area, clock) and compute its carbon per inference (CA and PA)."
        ),
    )
    p.add_argument(
        "--accelerator",
        "-a",
        required=True,
        metavar="SPEC",
        help="template spec NAME:key=value,... (e.g. dimc:dim=128,sram_bytes=131072), "
        "a CarbonSpot hardware YAML, or a ZigZag v3 accelerator YAML",
    )
    p.add_argument(
        "--workload", "-w", required=True, metavar="NAME_OR_PATH", help="zoo name, ONNX or YAML"
    )
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help="fix the mapping: a CarbonSpot mapping YAML or a ZigZag v3 mapping YAML",
    )
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="edp",
        help="what the mapper minimises per layer (default: edp, as the paper)",
    )
    add_preset_argument(p)
    p.add_argument(
        "--mapper",
        default=DEFAULT_MAPPER,
        metavar="{" + ",".join(MAPPERS) + "}",
        help="per-layer mapping search: fast (default, branch-and-bound) or exhaustive "
        "(every candidate, kept for verification); both find the same optimum",
    )
    p.add_argument(
        "--period",
        type=float,
        default=None,
        metavar="S",
        help="frame period in seconds for the PA scenario (default: the workload's)",
    )
    p.add_argument(
        "--data-locality",
        choices=("on", "off"),
        default="on",
        help="on (default, the original CarbonSpot's): drop the memory levels a layer does not "
        "need, following the workload's graph; off: zigzag-dse's default, every layer's "
        "operands to and from the top memory (to reproduce ZigZag's numbers)",
    )
    add_carbon_arguments(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def _acc_identity(spec: str, acc) -> tuple[str, dict[str, Any]]:
    """(acc_type, params) of an accelerator: its template and the parameters that apply to it.

    A parameter the template takes but does not use (``adc_bits`` on ``dimc``) is left out.
    """
    params = dict(getattr(acc, "params", ()) or ())
    head = spec.split(":", 1)[0]
    if ":" not in spec and (spec.endswith((".yaml", ".yml")) or "/" in spec):
        # a file: its accelerator's name (a template's when the file was exported from one)
        head = getattr(acc, "name", head)
    return head, design_mod.shown_params(head, params)


def _layer_record(layer) -> dict[str, Any]:
    return {
        **{name: getattr(layer, name) for name in LAYER_FIELDS},
        "energy_breakdown_pj": dict(layer.energy_breakdown_pj),
        "latency_breakdown_cycles": dict(layer.latency_breakdown_cycles),
        "spatial_mapping": {
            dim: [[ldim, size] for ldim, size in unroll]
            for dim, unroll in layer.spatial_mapping.items()
        },
        "temporal_mapping": [dict(loop) for loop in layer.temporal_mapping],
    }


def _spatial_text(spatial: dict[str, list[tuple[str, float]]]) -> str:
    parts = []
    for dim, unroll in spatial.items():
        inner = "·".join(f"{ld}{_num(s)}" for ld, s in unroll)
        parts.append(f"{dim}:{inner or '-'}")
    return " ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.3g}"


def _param_text(value: Any) -> str:
    """A parameter value as written in a template spec (exact, no thousands separators)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parameters_text(params: dict[str, Any], width: int = 100) -> str:
    """``parameters: dim=128 d1=128 ...`` in the order of the template parameter table.

    Parameters without a value (an option left unset) are left out.
    """
    from carbonspot.hardware.templates import TEMPLATE_PARAMETERS

    order = {p.name: i for i, p in enumerate(TEMPLATE_PARAMETERS)}
    given = [k for k, v in params.items() if v is not None]
    names = sorted(given, key=lambda k: (order.get(k, len(order)), k))
    text = "parameters: " + " ".join(f"{k}={_param_text(params[k])}" for k in names)
    return textwrap.fill(text, width, subsequent_indent="  ", break_on_hyphens=False)


def _no_period(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def evaluate_record(
    spec: str,
    workload_name: str,
    *,
    mapping: str | None = None,
    objective: str = "edp",
    preset: str | None = None,
    mapper: str = DEFAULT_MAPPER,
    period_s: float | None = None,
    carbon: CarbonFlags | None = None,
    data_locality: bool = True,
) -> dict[str, Any]:
    """Everything ``evaluate --format json`` prints, as a dict (also used by the tests).

    ``carbon``: the carbon flags (default: the preset's carbon parameters). The design goes
    through the same :class:`~carbonspot.design.DesignPipeline` as a sweep's, so a template
    spec's ``dram_gb`` is charged in carbon unless the carbon flags set the DRAM capacity.
    """
    from carbonspot.hardware.readers import load_accelerator
    from carbonspot.workload.zoo import load_workload

    preset_name = get_preset(preset).name
    if mapper not in MAPPERS:
        raise InputError(f"unknown mapper {mapper!r}", field="--mapper", allowed=MAPPERS)
    if period_s is not None and not (math.isfinite(period_s) and period_s > 0):
        raise InputError("must be a positive number of seconds", field="--period")
    carbon = carbon or CarbonFlags(preset_name)
    pipeline = design_mod.DesignPipeline.from_overrides(
        preset_name,
        objective,
        mapper,
        carbon.overrides,
        carbon_preset=carbon.preset,
        source=carbon.source,
        period_s=period_s,
        data_locality=data_locality,
    )
    workload = load_workload(workload_name)
    acc = load_accelerator(spec, preset_name, workload_weight_bytes=workload.weight_bytes)
    result = pipeline.evaluate(acc, workload, None if mapping is None else _load_mapping(mapping))
    acc_type, params = _acc_identity(spec, acc)
    given = _spec_params(spec)  # what the user wrote decides the DRAM charged, as in a sweep
    row = pipeline.row(result, acc_type, given, workload)
    carbon_params = pipeline.carbon_for(given)

    record: dict[str, Any] = {
        "workload": result.workload,
        "accelerator": spec,
        "acc_type": acc_type,
        "params": params,
        "preset": preset_name,
        "objective": objective,
        "mapper": mapper,
        "data_locality": "on" if data_locality else "off",
        "inference": inference_unit(result.workload) or "one inference of the workload",
        "feasible": row["feasible"],
        "reason": row["reason"] or None,
    }
    for key in SUMMARY_COLUMNS:
        record[key] = row.get(key)
    record["energy_breakdown_pj"] = dict(result.energy_breakdown_pj)
    record["latency_breakdown_cycles"] = dict(result.latency_breakdown_cycles)
    record["area_breakdown_mm2"] = dict(result.area_breakdown_mm2)
    record["tclk_breakdown_ns"] = dict(result.tclk_breakdown_ns)
    carbon_cols = {k: v for k, v in row.items() if k.startswith("carbon_") or k.startswith("pa_")}
    record.update(carbon_cols)
    record["carbon_breakdown_g"] = {
        sc: {
            k[len(f"carbon_{sc}_") : -2]: v
            for k, v in carbon_cols.items()
            if k.startswith(f"carbon_{sc}_")
            and k.endswith("_g")
            and k != f"carbon_{sc}_g"
            and "ex_pkg" not in k
        }
        for sc in ("ca", "pa")
    }
    describe = getattr(carbon_params, "describe", None)
    record["carbon_params"] = describe() if callable(describe) else None
    record["layers"] = [_layer_record(layer) for layer in result.layers]
    return record


def _spec_params(spec: str) -> dict[str, str]:
    """The parameters written in a template spec ``NAME:key=value,...`` (none for a file)."""
    if ":" not in spec or spec.endswith((".yaml", ".yml")):
        return {}
    from carbonspot.hardware.templates import parse_template_spec

    return parse_template_spec(spec)[1]


def _load_mapping(path: str):
    try:
        from carbonspot.mapping.readers.yaml import load_mapping
    except ImportError:
        raise InputError(
            "mapping files are not supported by this build", field="--mapping"
        ) from None
    return load_mapping(path)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the result as a table or JSON."""
    record = evaluate_record(
        args.accelerator,
        args.workload,
        mapping=args.mapping,
        objective=args.objective,
        preset=args.preset,
        mapper=args.mapper,
        period_s=args.period,
        carbon=carbon_flags(args, get_preset(args.preset).name),
        data_locality=args.data_locality == "on",
    )
    if args.format == "json":
        print_json(record)
        return 0
    out = sys.stdout
    out.write(
        f"{record['workload']} on {record['accelerator']} "
        f"(preset {record['preset']}, objective {record['objective']}, "
        f"mapper {record['mapper']}, data locality {record['data_locality']})\n"
    )
    if record["params"]:
        out.write(parameters_text(record["params"]) + "\n")
    if not record["feasible"]:
        out.write(f"INFEASIBLE: {record['reason']}\n")
        if inference_unit(record["workload"]) and "exceeds every memory" in str(record["reason"]):
            out.write(
                "hint: an LLM's weights need a DRAM that holds them, e.g. dram_gb=2 in the "
                "template spec (the default DRAM is 1 MiB, as in the paper)\n"
            )
    no_period = _no_period(record.get("period_s"))
    summary = [
        # no period, no deadline to meet or miss: "-" (NaN prints as "-"), as period_s
        {"metric": k, "value": math.nan if k == "meets_period" and no_period else record.get(k)}
        for k in SUMMARY_COLUMNS
    ]
    summary += [
        {"metric": f"carbon_{sc}_{part}_g", "value": v}
        for sc, parts in record["carbon_breakdown_g"].items()
        for part, v in parts.items()
    ]
    print_table(summary, ("metric", "value"), stream=out)
    out.write(CARBON_LEGEND + "\n")
    if inference_unit(record["workload"]):
        out.write(f"one inference here = {record['inference']}\n")
    stall = record["latency_breakdown_cycles"].get("stall", 0.0)
    total = record.get("latency_cycles") or 0.0
    if record["feasible"] and total and stall > 0.5 * total:
        out.write(
            f"memory-bound: {100 * stall / total:.0f} % of the latency is stall, waiting for "
            "memory bandwidth (the top memory when weights or activations do not fit on chip)\n"
        )
    if no_period:
        out.write("no period: PA carbon and meets_period need one (--period S)\n")
    out.write("\n")
    names = shorten_names([layer["layer"] for layer in record["layers"]])  # JSON: full names
    layer_rows = [
        {**layer, "layer": name, "spatial": _spatial_text(layer["spatial_mapping"])}
        for layer, name in zip(record["layers"], names, strict=True)
    ]
    print_table(layer_rows, LAYER_COLUMNS, stream=out)
    return 0
