"""CarbonSpot workload YAML (schema in docs/workload-yaml.md): read, validate, write.

Every rejected value raises :class:`InputError` naming the file, the field path (e.g.
``layers[2].loops.K``) and what is allowed. ``load_any_workload_yaml`` also accepts ZigZag
v3 workload files (a top-level list of layers, zigzag-model.md §2.2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from carbonspot.errors import InputError
from carbonspot.workload.model import COMPUTE_OPERATORS, LOOP_DIMS, Layer, Precision, Workload
from carbonspot.yaml_file import parse_yaml_text, read_text

TOP_KEYS = ("name", "suite", "fps", "period_s", "source", "description", "precision", "layers")
LAYER_KEYS = (
    "name",
    "operator",
    "loops",
    "stride",
    "dilation",
    "padding",
    "precision",
    "constant_operands",
    "costless",
    "inputs",
    "input_size",
)
PRECISION_KEYS = ("input_bits", "weight_bits", "psum_bits", "output_bits")
COSTED_BY_DEFAULT = ("Conv", "Gemm", "MatMul")
# libyaml-backed classes when present (same results, several times faster)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
CONSTANT_OPERAND_NAMES = ("I", "W")


class _Checker:
    """Typed field access that turns every problem into an :class:`InputError`."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field: str, message: str, allowed: Any = None) -> InputError:
        return InputError(message, source=self.source, field=field, allowed=allowed)

    def mapping(self, value: Any, field: str, keys: tuple[str, ...] | None = None) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(field, f"expected a mapping, got {_kind(value)}", "a YAML mapping")
        if keys is not None:
            for key in value:
                if not isinstance(key, str) or key not in keys:
                    raise self.fail(f"{field}.{key}" if field else str(key), "unknown field", keys)
        return value

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"expected a non-empty string, got {_kind(value)}", "text")
        return value

    def integer(self, value: Any, field: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            what = "positive integer" if minimum == 1 else f"integer >= {minimum}"
            raise self.fail(field, f"expected a {what}, got {_show(value)}", what)
        return int(value)

    def number(self, value: Any, field: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise self.fail(field, f"expected a positive number, got {_show(value)}", "> 0")
        return float(value)

    def boolean(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, f"expected true or false, got {_show(value)}", "true, false")
        return value

    def pair(self, value: Any, field: str, minimum: int = 1) -> tuple[int, int]:
        """An int (both axes) or a list ``[y, x]``."""
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail(field, f"expected 2 values [y, x], got {len(value)}", "[y, x]")
            return (
                self.integer(value[0], f"{field}[0]", minimum),
                self.integer(value[1], f"{field}[1]", minimum),
            )
        v = self.integer(value, field, minimum)
        return v, v

    def padding(self, value: Any, field: str) -> tuple[int, int, int, int]:
        """``p``, ``[py, px]`` or ``[top, left, bottom, right]`` (ONNX order)."""
        if isinstance(value, list) and len(value) == 4:
            top, left, bottom, right = (
                self.integer(v, f"{field}[{i}]", 0) for i, v in enumerate(value)
            )
            return top, left, bottom, right
        if isinstance(value, list) and len(value) != 2:
            raise self.fail(
                field, f"expected 1, 2 or 4 values, got {len(value)}", "p, [py, px], [t, l, b, r]"
            )
        py, px = self.pair(value, field, 0)
        return py, px, py, px

    def precision(self, value: Any, field: str, base: Precision) -> Precision:
        doc = self.mapping(value, field, PRECISION_KEYS)
        bits = {k: getattr(base, k) for k in PRECISION_KEYS}
        for key, v in doc.items():
            bits[key] = self.integer(v, f"{field}.{key}", 0 if key == "weight_bits" else 1)
        return Precision(**bits)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _layer(doc: Any, index: int, default_precision: Precision, ck: _Checker) -> Layer:
    field = f"layers[{index}]"
    doc = ck.mapping(doc, field, LAYER_KEYS)
    if "operator" not in doc:
        raise ck.fail(f"{field}.operator", "missing", list(COMPUTE_OPERATORS) + ["Add", "..."])
    operator = ck.string(doc["operator"], f"{field}.operator")
    name = ck.string(doc["name"], f"{field}.name") if "name" in doc else f"layer_{index}"
    if "loops" not in doc:
        raise ck.fail(f"{field}.loops", "missing", "a mapping of loop dimension to size")
    loops_doc = ck.mapping(doc["loops"], f"{field}.loops", LOOP_DIMS)
    loops = {d: ck.integer(v, f"{field}.loops.{d}") for d, v in loops_doc.items()}
    constant: tuple[str, ...] = ("W",)
    if "constant_operands" in doc:
        value = doc["constant_operands"]
        if not isinstance(value, list) or any(v not in CONSTANT_OPERAND_NAMES for v in value):
            raise ck.fail(
                f"{field}.constant_operands",
                f"expected a list of operand names, got {_show(value)}",
                "[], [W], [I], [I, W]",
            )
        constant = tuple(sorted(set(value)))
    costless = operator not in COSTED_BY_DEFAULT
    if "costless" in doc:
        costless = ck.boolean(doc["costless"], f"{field}.costless")
    precision = default_precision
    if "precision" in doc:
        precision = ck.precision(doc["precision"], f"{field}.precision", default_precision)
    elif operator == "Pool":
        precision = Precision(
            default_precision.input_bits,
            0,
            default_precision.psum_bits,
            default_precision.output_bits,
        )
    return Layer(
        name=name,
        operator=operator,
        loops=loops,
        stride=ck.pair(doc.get("stride", 1), f"{field}.stride"),
        dilation=ck.pair(doc.get("dilation", 1), f"{field}.dilation"),
        padding=ck.padding(doc.get("padding", 0), f"{field}.padding"),
        precision=precision,
        constant_operands=constant,
        costless=costless,
        input_size=(
            ck.pair(doc["input_size"], f"{field}.input_size") if "input_size" in doc else None
        ),
    )


def workload_from_dict(doc: Any, source: str, default_name: str | None = None) -> Workload:
    """Validate a parsed CarbonSpot workload document and build the :class:`Workload`."""
    ck = _Checker(source)
    doc = ck.mapping(doc, "", TOP_KEYS)
    name = ck.string(doc["name"], "name") if "name" in doc else (default_name or "workload")
    suite = ck.string(doc["suite"], "suite") if "suite" in doc else None
    src = ck.string(doc["source"], "source") if "source" in doc else source
    if "description" in doc:
        ck.string(doc["description"], "description")
    if "fps" in doc and "period_s" in doc:
        raise ck.fail("period_s", "give either fps or period_s, not both", "fps or period_s")
    period_s = None
    if "fps" in doc:
        period_s = 1.0 / ck.number(doc["fps"], "fps")
    elif "period_s" in doc:
        period_s = ck.number(doc["period_s"], "period_s")
    precision = Precision()
    if "precision" in doc:
        precision = ck.precision(doc["precision"], "precision", precision)
    if "layers" not in doc:
        raise ck.fail("layers", "missing", "a non-empty list of layers")
    layers_doc = doc["layers"]
    if not isinstance(layers_doc, list) or not layers_doc:
        raise ck.fail("layers", f"expected a non-empty list, got {_show(layers_doc)}", "a list")
    layers = tuple(_layer(item, i, precision, ck) for i, item in enumerate(layers_doc))
    layers = _with_producers(layers_doc, layers, ck)
    return Workload(name=name, layers=layers, suite=suite, period_s=period_s, source=src)


def _with_producers(docs: list[Any], layers: tuple[Layer, ...], ck: _Checker) -> tuple[Layer, ...]:
    """Record ``Layer.inputs`` from the optional ``inputs:`` lists (names of earlier layers).

    Without any ``inputs:`` the file has no graph (layers keep ``inputs=None``: a chain, or
    the shape-based inference for residual networks). Once one layer names its inputs, a
    layer without the field reads the layer before it (the first layer: the network input).
    """
    if not any(isinstance(d, Mapping) and "inputs" in d for d in docs):
        return layers
    seen: list[str] = []
    out = []
    for i, (doc, layer) in enumerate(zip(docs, layers, strict=True)):
        field = f"layers[{i}].inputs"
        if "inputs" in doc:
            value = doc["inputs"]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ck.fail(field, f"expected a list of layer names, got {_show(value)}", seen)
            for v in value:
                if v not in seen:
                    raise ck.fail(field, f"{v!r} is not the name of an earlier layer", seen)
            srcs = tuple(dict.fromkeys(value))
        else:
            srcs = (seen[-1],) if seen else ()
        if layer.name in seen:
            raise ck.fail(
                f"layers[{i}].name", f"duplicate layer name {layer.name!r}", "unique names"
            )
        seen.append(layer.name)
        out.append(replace(layer, inputs=srcs))
    return tuple(out)


def workload_from_yaml_text(text: str, source: str, default_name: str | None = None) -> Workload:
    """Parse CarbonSpot or ZigZag workload YAML text (told apart by the top-level type)."""
    doc = parse_yaml_text(text, source)
    if isinstance(doc, list):
        from carbonspot.workload.readers.zigzag import workload_from_zigzag

        return workload_from_zigzag(doc, source, default_name or "workload")
    if isinstance(doc, Mapping):
        return workload_from_dict(doc, source, default_name)
    raise InputError(
        f"expected a workload document, got {_kind(doc)}",
        source=source,
        field="(top level)",
        allowed="a mapping with 'layers' (CarbonSpot) or a list of layers (ZigZag v3)",
    )


def load_workload_yaml(path: str | Path) -> Workload:
    """Read a CarbonSpot workload YAML file (a mapping with ``layers``)."""
    path = Path(path)
    doc = parse_yaml_text(read_text(path), str(path))
    return workload_from_dict(doc, str(path), default_name=path.stem)


def load_any_workload_yaml(path: str | Path) -> Workload:
    """Read a CarbonSpot or ZigZag v3 workload YAML file."""
    path = Path(path)
    return workload_from_yaml_text(read_text(path), str(path), default_name=path.stem)


def workload_to_dict(workload: Workload) -> dict[str, Any]:
    """The CarbonSpot YAML document of a workload (loads back to an equal workload)."""
    doc: dict[str, Any] = {"name": workload.name}
    if workload.suite:
        doc["suite"] = workload.suite
    if workload.period_s:
        doc["period_s"] = workload.period_s
    if workload.source:
        doc["source"] = workload.source
    layers = []
    for layer in workload.layers:
        item: dict[str, Any] = {
            "name": layer.name,
            "operator": layer.operator,
            "loops": {d: v for d, v in layer.loops.items() if v != 1},
        }
        if layer.stride != (1, 1):
            item["stride"] = list(layer.stride)
        if layer.dilation != (1, 1):
            item["dilation"] = list(layer.dilation)
        if layer.padding != (0, 0, 0, 0):
            item["padding"] = list(layer.padding)
        item["precision"] = {k: getattr(layer.precision, k) for k in PRECISION_KEYS}
        item["constant_operands"] = list(layer.constant_operands)
        item["costless"] = layer.costless
        if layer.inputs is not None:
            item["inputs"] = list(layer.inputs)
        if layer.input_size is not None:
            item["input_size"] = list(layer.input_size)
        layers.append(item)
    doc["layers"] = layers
    return doc


def dump_workload_yaml(workload: Workload) -> str:
    """CarbonSpot YAML text of a workload."""
    return yaml.dump(
        workload_to_dict(workload), Dumper=_DUMPER, sort_keys=False, default_flow_style=None
    )
