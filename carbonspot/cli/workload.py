"""``carbonspot workload show|list``: inspect built-in or imported workloads."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from carbonspot.cli._output import print_json, print_table
from carbonspot.formatting import shorten_names
from carbonspot.workload.model import LOOP_DIMS, Layer, Workload
from carbonspot.workload.readers.yaml import dump_workload_yaml
from carbonspot.workload.zoo import SUITES, WORKLOAD_NAMES, get_workload, load_workload


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``workload show`` and ``workload list``."""
    parser = subparsers.add_parser(
        "workload",
        help="show a workload's layers (zoo name, YAML or ONNX) or list the built-in ones",
        description="Inspect DNN workloads as loop nests.",
    )
    sub = parser.add_subparsers(dest="workload_command", metavar="ACTION", required=True)
    show = sub.add_parser(
        "show",
        help="layer table and totals of one workload",
        description="Layer table (operator, loop sizes, stride, MACs, operand sizes) and "
        "totals. NAME_OR_PATH is a zoo name, a CarbonSpot or ZigZag workload YAML, or an "
        ".onnx file.",
    )
    show.add_argument("workload", metavar="NAME_OR_PATH")
    show.add_argument(
        "--format",
        choices=("table", "json", "yaml", "dot"),
        default="table",
        help="table (default), json, yaml (CarbonSpot workload YAML, loadable again) or dot "
        "(the graph of costed layers, for Graphviz)",
    )
    show.add_argument(
        "--graph",
        action="store_true",
        help="print each costed layer's producers (costless layers bridged) and whether its "
        "output is a branch point kept in the top memory",
    )
    show.add_argument(
        "--all",
        action="store_true",
        help="also list costless layers (element-wise, pooling, layout) in the table",
    )
    show.set_defaults(func=run_show)
    lst = sub.add_parser("list", help="built-in workloads with suite, MACs and frame rate")
    lst.add_argument("--format", choices=("table", "json"), default="table")
    lst.set_defaults(func=run_list)


def layer_record(layer: Layer) -> dict[str, Any]:
    """JSON record of one layer (the schema documented in docs/workloads.md)."""
    return {
        "name": layer.name,
        "operator": layer.operator,
        "loops": {d: layer.loops[d] for d in LOOP_DIMS},
        "stride": list(layer.stride),
        "dilation": list(layer.dilation),
        "padding": list(layer.padding),
        "macs": layer.macs,
        "costless": layer.costless,
        "constant_operands": list(layer.constant_operands),
        "precision_bits": {
            "I": layer.precision.input_bits,
            "W": layer.precision.weight_bits,
            "O_partial": layer.precision.psum_bits,
            "O": layer.precision.output_bits,
        },
        "operand_elements": {op: layer.operand_elements(op) for op in ("I", "W", "O")},
        "inputs": None if layer.inputs is None else list(layer.inputs),
    }


def workload_record(workload: Workload) -> dict[str, Any]:
    """JSON record of a workload: totals, metadata and every layer."""
    return {
        "name": workload.name,
        "suite": workload.suite,
        "source": workload.source,
        "total_macs": workload.total_macs,
        "ops": workload.ops,
        "weight_bytes": workload.weight_bytes,
        "period_s": workload.period_s,
        "fps": None if not workload.period_s else 1.0 / workload.period_s,
        "n_layers": len(workload.layers),
        "n_compute_layers": len(workload.compute_layers),
        "unsupported": list(workload.unsupported),
        "layers": [layer_record(layer) for layer in workload.layers],
        # producers of each costed layer with costless layers bridged (None: no graph recorded
        # and none inferred: a chain)
        "graph": _graph(workload),
    }


def _graph(workload: Workload) -> dict[str, list[str]] | None:
    from carbonspot.evaluate import layer_graph

    graph = layer_graph(workload)
    return None if graph is None else {k: list(v) for k, v in graph.items()}


def graph_rows(workload: Workload) -> list[dict[str, Any]]:
    """One row per costed layer: its producers, its consumers and its role in the pruning.

    A branch start (several consumers) or a branch end (its one consumer joins several
    producers) keeps its output in the top memory (carbonspot-model.md §9.5).
    """
    graph = _graph(workload)
    layers = [la.name for la in workload.compute_layers]
    if graph is None:  # a chain
        graph = {name: ([layers[i - 1]] if i else []) for i, name in enumerate(layers)}
    consumers: dict[str, list[str]] = {name: [] for name in layers}
    for name, srcs in graph.items():
        for src in srcs:
            consumers.setdefault(src, []).append(name)
    short = dict(zip(layers, shorten_names(layers), strict=True))
    rows = []
    for name in layers:
        cons = consumers.get(name, [])
        if len(cons) > 1:
            role = "branch start: output kept on top"
        elif len(cons) == 1 and len(graph.get(cons[0], [])) > 1:
            role = "branch end: output kept on top"
        else:
            role = ""
        srcs = graph.get(name, [])
        text = ", ".join(short[s] for s in srcs[:3]) if srcs else "(input)"
        if len(srcs) > 3:  # a residual stream: every earlier sub-block feeds it (JSON: all)
            text += f" +{len(srcs) - 3} more"
        rows.append(
            {
                "layer": short[name],
                "producers": text,
                "consumers": len(cons),
                "role": role,
            }
        )
    return rows


def graph_dot(workload: Workload) -> str:
    """The costed layers' graph (costless layers bridged) in Graphviz DOT."""
    graph = _graph(workload)
    layers = [la.name for la in workload.compute_layers]
    if graph is None:
        graph = {name: ([layers[i - 1]] if i else []) for i, name in enumerate(layers)}
    lines = [f'digraph "{workload.name}" {{', "  node [shape=box, fontsize=10];"]
    lines += [f'  "{name}";' for name in layers]
    lines += [f'  "{src}" -> "{name}";' for name in layers for src in graph.get(name, [])]
    return "\n".join([*lines, "}"]) + "\n"


def _table_row(layer: Layer, name: str) -> dict[str, Any]:
    row: dict[str, Any] = {"layer": name, "op": layer.operator}
    if layer.operator == "Conv" and layer.loops["G"] > 1 and layer.loops["K"] == 1:
        row["op"] = "Conv(dw)"
    if layer.operator == "MatMul" and "W" not in layer.constant_operands:
        row["op"] = "MatMul(act)"
    if layer.costless:
        row["op"] += "*"
    row.update({d: layer.loops[d] for d in LOOP_DIMS})
    row["stride"] = "x".join(str(s) for s in layer.stride)
    row["MACs"] = layer.macs
    row["I_elems"] = layer.operand_elements("I")
    # element-wise/pooling layers have no weight tensor (their einsum W is a placeholder)
    row["W_elems"] = None if layer.costless else layer.operand_elements("W")
    row["O_elems"] = layer.operand_elements("O")
    return row


def run_show(args: argparse.Namespace) -> int:
    """Print the layer table (or JSON) of one workload."""
    workload = load_workload(args.workload)
    if workload.unsupported:
        print(
            f"carbonspot: warning: {workload.name}: ONNX ops not modelled (not costed): "
            + ", ".join(workload.unsupported),
            file=sys.stderr,
        )
    if args.format == "json":
        print_json(workload_record(workload))
        return 0
    if args.format == "yaml":
        sys.stdout.write(dump_workload_yaml(workload))
        return 0
    if args.format == "dot":
        sys.stdout.write(graph_dot(workload))
        return 0
    if args.graph:
        print_table(graph_rows(workload))
        recorded = all(la.inputs is not None for la in workload.layers)
        how = "recorded by the source" if recorded else "inferred from shapes, or a chain"
        print(f"\ngraph of {workload.name}: producers {how}; costless layers bridged")
        return 0
    shown = workload.layers if args.all else workload.compute_layers
    names = shorten_names([layer.name for layer in shown])  # the JSON keeps the full names
    print_table([_table_row(layer, name) for layer, name in zip(shown, names, strict=True)])
    n_costless = len(workload.layers) - len(workload.compute_layers)
    fps = f"{1.0 / workload.period_s:g} FPS" if workload.period_s else "no frame rate"
    print()
    print(f"workload      {workload.name} ({workload.suite or 'no suite'}; {fps})")
    if workload.source:
        print(f"source        {workload.source}")
    note = "marked *" if args.all else "not shown; --all lists them"
    print(f"layers        {len(workload.compute_layers)} costed, {n_costless} costless ({note})")
    print(f"total MACs    {workload.total_macs:,}  ({workload.ops / 1e9:.4g} GOPs)")
    print(f"weight bytes  {workload.weight_bytes:,}")
    if workload.unsupported:
        print(f"unsupported   {', '.join(workload.unsupported)}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the built-in workloads with suite, MACs, weights and frame rate."""
    suite_of = {name: s for s, names in SUITES.items() for name in names}
    rows = []
    for name in WORKLOAD_NAMES:
        w = get_workload(name)
        rows.append(
            {
                "name": name,
                "suite": suite_of.get(name, ""),
                "layers": len(w.compute_layers),
                "MACs": w.total_macs,
                "GOPs": w.ops / 1e9,
                "weight_bytes": w.weight_bytes,
                "fps": 1.0 / w.period_s if w.period_s else None,
                "period_s": w.period_s,
            }
        )
    if args.format == "json":
        print_json(rows)
    else:
        print_table(rows)
    return 0
