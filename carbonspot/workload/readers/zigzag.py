"""ZigZag v3 workload YAML (a list of layer dicts, zigzag-model.md §2.2) → :class:`Workload`.

Each layer's einsum ``equation`` is mapped onto the eight CarbonSpot loops by the role each
loop plays (zigzag-model.md §3.1):

- a loop indexing the output, the weight and the input → ``G``;
- output and weight only → ``K``; output and input only → ``B`` (``G`` for pooling);
- weight and input only → ``C``;
- the output/filter loops of a ``dimension_relations`` entry ``ix = s*ox + d*fx`` →
  ``OX``/``FX`` with stride ``s`` and dilation ``d`` (``iy`` → ``OY``/``FY``).

Several loops with the same role multiply (e.g. Gemm rows ``B`` and ``D``). The weight
operand is the one called ``W`` (else the constant one, else the second input). Element-wise
equations (``O = X + Y``) become costless layers over ``B``/``G``/``OY``/``OX``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from carbonspot.errors import InputError
from carbonspot.workload.model import Layer, Precision, Workload, pr_extent

LAYER_KEYS = (
    "id",
    "name",
    "operator_type",
    "equation",
    "dimension_relations",
    "loop_dims",
    "loop_sizes",
    "operand_precision",
    "operand_source",
    "pr_loop_dims",
    "pr_loop_sizes",
    "padding",
    "core_allocation",
    "memory_operand_links",
)
OPERATOR_TYPES = {
    "Conv": "Conv",
    "Conv_downsample": "Conv",
    "Gemm": "Gemm",
    "MatMul": "MatMul",
    "Pool": "Pool",
    "Pooling": "Pool",
    "MaxPool": "Pool",
    "AveragePool": "Pool",
    "GlobalAveragePool": "Pool",
    "Max": "Pool",
    "Add": "Add",
}
_OPERAND = r"([A-Za-z_]\w*)((?:\[\s*[A-Za-z_]\w*\s*\])*)"
_EQUATION = re.compile(rf"^\s*{_OPERAND}\s*\+?=\s*{_OPERAND}\s*([*+])\s*{_OPERAND}\s*$")
_TERM = r"(?:(\d+)\s*\*\s*)?([A-Za-z_]\w*)"
_RELATION = re.compile(rf"^\s*([A-Za-z_]\w*)\s*=\s*{_TERM}\s*\+\s*{_TERM}\s*$")


def _indices(text: str) -> list[str]:
    return [t.strip().lower() for t in re.findall(r"\[([^\]]*)\]", text)]


class _Layer:
    """Validation context for one ZigZag layer entry."""

    def __init__(self, doc: Any, index: int, source: str) -> None:
        self.source = source
        self.prefix = f"[{index}]"
        if not isinstance(doc, Mapping):
            raise self.fail("", f"expected a layer mapping, got {type(doc).__name__}", "a mapping")
        for key in doc:
            if key not in LAYER_KEYS:
                raise self.fail(str(key), "unknown field", LAYER_KEYS)
        self.doc = doc

    def fail(self, field: str, message: str, allowed: Any) -> InputError:
        where = f"{self.prefix}.{field}" if field else self.prefix
        return InputError(message, source=self.source, field=where, allowed=allowed)

    def require(self, key: str, allowed: Any) -> Any:
        if key not in self.doc:
            raise self.fail(key, "missing", allowed)
        return self.doc[key]


def _int(ctx: _Layer, value: Any, field: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ctx.fail(
            field, f"expected an integer >= {minimum}, got {value!r}"[:90], f">= {minimum}"
        )
    return value


def _convert_layer(doc: Any, index: int, source: str) -> Layer:
    ctx = _Layer(doc, index, source)
    layer_id = _int(ctx, ctx.require("id", "an integer layer id"), "id", 0)
    name = ctx.doc.get("name", f"Layer{layer_id}")
    if not isinstance(name, str | int) or isinstance(name, bool):
        raise ctx.fail("name", f"expected text, got {name!r}"[:80], "text")
    op_type = ctx.require("operator_type", sorted(OPERATOR_TYPES))
    if not isinstance(op_type, str) or op_type not in OPERATOR_TYPES:
        raise ctx.fail(
            "operator_type", f"unsupported operator {op_type!r}"[:80], sorted(OPERATOR_TYPES)
        )
    operator = OPERATOR_TYPES[op_type]

    equation = ctx.require("equation", "e.g. O[k][oy][ox]+=W[k][c][fy][fx]*I[c][iy][ix]")
    match = _EQUATION.match(equation) if isinstance(equation, str) else None
    if match is None:
        raise ctx.fail(
            "equation",
            f"cannot parse {equation!r}"[:100],
            "O[..]..+=X[..]..*Y[..].. or O[..]=X[..]+Y[..]",
        )
    out_name, out_idx, a_name, a_idx, combine, b_name, b_idx = match.groups()
    if out_name != "O":
        raise ctx.fail("equation", f"the output operand must be named O, got {out_name!r}", "O")
    if a_name == b_name:
        raise ctx.fail("equation", "the two input operands need different names", "e.g. W and I")
    out_dims, a_dims, b_dims = _indices(out_idx), _indices(a_idx), _indices(b_idx)

    relations: dict[str, tuple[str, str, int, int]] = {}  # lhs → (out, filter, s, d)
    rel_doc = ctx.doc.get("dimension_relations") or []
    if not isinstance(rel_doc, list):
        raise ctx.fail("dimension_relations", "expected a list", "['ix=1*ox+1*fx', ...]")
    for i, text in enumerate(rel_doc):
        m = _RELATION.match(text) if isinstance(text, str) else None
        if m is None:
            raise ctx.fail(
                f"dimension_relations[{i}]", f"cannot parse {text!r}"[:80], "ix=s*ox+d*fx"
            )
        lhs, c1, d1, c2, d2 = m.groups()
        lhs, d1, d2 = lhs.lower(), d1.lower(), d2.lower()
        t1, t2 = (int(c1 or 1), d1), (int(c2 or 1), d2)
        if t1[0] < 1 or t2[0] < 1:
            raise ctx.fail(f"dimension_relations[{i}]", "coefficients must be >= 1", ">= 1")
        if t2[1] in out_dims and t1[1] not in out_dims:
            t1, t2 = t2, t1  # the output loop's coefficient is the stride
        relations[lhs] = (t1[1], t2[1], t1[0], t2[0])
    if len(relations) > 2:
        raise ctx.fail("dimension_relations", "at most two relations (y and x)", "iy=..., ix=...")

    loop_dims = ctx.require("loop_dims", "a list of loop names")
    loop_sizes = ctx.require("loop_sizes", "a list of positive integers")
    if not isinstance(loop_dims, list) or not all(isinstance(d, str) for d in loop_dims):
        raise ctx.fail("loop_dims", "expected a list of names", "e.g. [K, C, OY, OX, FY, FX]")
    if not isinstance(loop_sizes, list) or len(loop_sizes) != len(loop_dims):
        raise ctx.fail(
            "loop_sizes", "expected one size per loop_dims entry", f"{len(loop_dims)} integers"
        )
    sizes = {
        d.lower(): _int(ctx, s, f"loop_sizes[{i}]")
        for i, (d, s) in enumerate(zip(loop_dims, loop_sizes, strict=True))
    }
    if len(sizes) != len(loop_dims):
        raise ctx.fail("loop_dims", "duplicate loop names", "distinct names")

    # Which input is the weight: named W, else the one without relation dims, else the second.
    if "W" in (a_name, b_name):
        w_name = "W"
    elif any(d in relations for d in a_dims) and not any(d in relations for d in b_dims):
        w_name = b_name
    elif any(d in relations for d in b_dims) and not any(d in relations for d in a_dims):
        w_name = a_name
    else:
        w_name = b_name
    i_name = a_name if w_name == b_name else b_name
    w_dims, i_dims = (a_dims, b_dims) if w_name == a_name else (b_dims, a_dims)

    # Axis of each relation: its name says y or x, else the first is y.
    axis_of: dict[str, str] = {}
    for n, lhs in enumerate(relations):
        axis = "Y" if "y" in lhs else "X" if "x" in lhs else ("Y" if n == 0 else "X")
        if axis in axis_of.values():
            raise ctx.fail(
                "dimension_relations", f"two relations on axis {axis}", "one y and one x"
            )
        axis_of[lhs] = axis

    loops = {d: 1 for d in ("B", "K", "G", "C", "OY", "OX", "FY", "FX")}
    stride, dilation = {"Y": 1, "X": 1}, {"Y": 1, "X": 1}
    role_of_loop: dict[str, str] = {}
    for lhs, (o, f, s, d) in relations.items():
        axis = axis_of[lhs]
        role_of_loop[o], role_of_loop[f] = f"O{axis}", f"F{axis}"
        stride[axis], dilation[axis] = s, d
    i_direct = set(i_dims) | {d for lhs in i_dims if lhs in relations for d in relations[lhs][:2]}
    for dim in sizes:
        if dim in role_of_loop:
            continue
        in_o, in_w, in_i = dim in out_dims, dim in w_dims, dim in i_direct
        if combine == "+":  # element-wise: keep the spatial names, everything else is a group
            role = {"b": "B", "oy": "OY", "ox": "OX"}.get(dim, "G")
        elif in_o and in_w and in_i:
            role = "G"
        elif in_o and in_w:
            role = "K"
        elif in_o and in_i:
            role = "G" if (operator == "Pool" and dim != "b") else "B"
        elif in_w and in_i:
            role = "C"
        elif in_o:
            role = "B"
        elif in_w or in_i:
            role = "C"
        else:
            raise ctx.fail(
                "loop_dims",
                f"loop {dim.upper()!r} is not in the equation",
                out_dims + w_dims + i_dims,
            )
        role_of_loop[dim] = role
    for dim, size in sizes.items():
        role = role_of_loop.get(dim)
        if role is None:
            raise ctx.fail(
                "loop_dims", f"loop {dim.upper()!r} has no role", "loops of the equation"
            )
        loops[role] *= size

    prec_doc = ctx.require("operand_precision", "{O: bits, O_final: bits, W: bits, I: bits}")
    if not isinstance(prec_doc, Mapping):
        raise ctx.fail("operand_precision", "expected a mapping", "{O, O_final, W, I}")
    bits = {}
    for key in ("O", "O_final", w_name, i_name):
        if key not in prec_doc:
            raise ctx.fail(f"operand_precision.{key}", "missing", "an integer number of bits")
        bits[key] = _int(ctx, prec_doc[key], f"operand_precision.{key}", 1 if key != w_name else 0)
    precision = Precision(bits[i_name], bits[w_name], bits["O"], bits["O_final"])

    src_doc = ctx.doc.get("operand_source") or {}
    if not isinstance(src_doc, Mapping):
        raise ctx.fail("operand_source", "expected a mapping", "{W: id, I: id}")
    for key, value in src_doc.items():
        _int(ctx, value, f"operand_source.{key}", 0)
    constant = tuple(
        role for role, op in (("I", i_name), ("W", w_name)) if src_doc.get(op, layer_id) == layer_id
    )
    if combine == "+" and "operand_source" not in ctx.doc:
        constant = ()

    padding = [0, 0, 0, 0]  # top, left, bottom, right
    pr_dims = ctx.doc.get("pr_loop_dims") or []
    if not isinstance(pr_dims, list) or not all(isinstance(d, str) for d in pr_dims):
        raise ctx.fail("pr_loop_dims", "expected a list of names", "e.g. [IX, IY]")
    pad_doc = ctx.doc.get("padding")
    pr_sizes = ctx.doc.get("pr_loop_sizes")
    if pad_doc is not None:
        if not isinstance(pad_doc, list) or len(pad_doc) != len(pr_dims):
            raise ctx.fail(
                "padding", "expected one [begin, end] pair per pr_loop_dims entry", "[[b, e], ...]"
            )
        for k, (dim, pair) in enumerate(zip(pr_dims, pad_doc, strict=True)):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ctx.fail(f"padding[{k}]", "expected [begin, end]", "[begin, end]")
            begin, end = (_int(ctx, v, f"padding[{k}]", 0) for v in pair)
            axis = axis_of.get(dim.lower())
            if axis is None:
                raise ctx.fail(
                    f"pr_loop_dims[{k}]", f"{dim!r} has no dimension relation", list(relations)
                )
            first, second = (0, 2) if axis == "Y" else (1, 3)
            padding[first], padding[second] = begin, end
    true_size: dict[str, int] = {}  # real input size per axis (ZigZag's pr_loop_sizes)
    if pr_sizes is not None:
        if not isinstance(pr_sizes, list) or len(pr_sizes) != len(pr_dims):
            raise ctx.fail("pr_loop_sizes", "expected one size per pr_loop_dims entry", "integers")
        for k, (dim, size) in enumerate(zip(pr_dims, pr_sizes, strict=True)):
            axis = axis_of.get(dim.lower())
            if axis is None:
                raise ctx.fail(
                    f"pr_loop_dims[{k}]", f"{dim!r} has no dimension relation", list(relations)
                )
            true_size[axis] = _int(ctx, size, f"pr_loop_sizes[{k}]")
    if pad_doc is None:  # derive padding from the true input sizes
        for axis, size in true_size.items():
            extent = pr_extent(loops[f"O{axis}"], loops[f"F{axis}"], stride[axis], dilation[axis])
            total = max(extent - size, 0)
            first, second = (0, 2) if axis == "Y" else (1, 3)
            padding[first], padding[second] = total // 2, total - total // 2
    input_size = None
    if true_size:
        ext = {
            a: pr_extent(loops[f"O{a}"], loops[f"F{a}"], stride[a], dilation[a])
            - padding[0 if a == "Y" else 1]
            - padding[2 if a == "Y" else 3]
            for a in ("Y", "X")
        }
        input_size = (true_size.get("Y", ext["Y"]), true_size.get("X", ext["X"]))

    return Layer(
        name=str(name),
        operator=operator,
        loops=loops,
        stride=(stride["Y"], stride["X"]),
        dilation=(dilation["Y"], dilation["X"]),
        padding=(padding[0], padding[1], padding[2], padding[3]),
        precision=precision,
        constant_operands=constant,
        costless=operator in ("Pool", "Add"),
        input_size=input_size,
    )


def workload_from_zigzag(doc: Any, source: str, name: str = "workload") -> Workload:
    """Validate a parsed ZigZag v3 workload (a list of layer mappings) and convert it."""
    if not isinstance(doc, list) or not doc:
        raise InputError(
            "expected a non-empty list of layers",
            source=source,
            field="(top level)",
            allowed="a ZigZag v3 workload list",
        )
    layers = tuple(_convert_layer(item, i, source) for i, item in enumerate(doc))
    return Workload(name=name, layers=_with_producers(doc, layers, source), source=source)


def _with_producers(doc: list[Any], layers: tuple[Layer, ...], source: str) -> tuple[Layer, ...]:
    """Record ``Layer.inputs`` from ZigZag's ``operand_source`` (operand -> producer layer id).

    A file without any ``operand_source`` has no graph: its layers keep ``inputs=None`` and
    the cost model takes them as a chain. Sources equal to the layer's own id are constant
    operands, not producers.
    """
    if not any(isinstance(item, Mapping) and item.get("operand_source") for item in doc):
        return layers
    name_of = {int(item["id"]): la.name for item, la in zip(doc, layers, strict=True)}
    out = []
    for i, (item, layer) in enumerate(zip(doc, layers, strict=True)):
        srcs: list[str] = []
        for operand, producer in (item.get("operand_source") or {}).items():
            if int(producer) == int(item["id"]):
                continue
            if int(producer) not in name_of:
                raise InputError(
                    f"operand_source.{operand} names layer id {producer}, which is not in the file",
                    source=source,
                    field=f"[{i}].operand_source.{operand}",
                    allowed=sorted(name_of),
                )
            if name_of[int(producer)] not in srcs:
                srcs.append(name_of[int(producer)])
        out.append(replace(layer, inputs=tuple(srcs)))
    return tuple(out)


def load_zigzag_workload(path: str) -> Workload:
    """Read a ZigZag v3 workload YAML file."""
    from pathlib import Path

    from carbonspot.yaml_file import parse_yaml_text, read_text

    p = Path(path)
    return workload_from_zigzag(parse_yaml_text(read_text(p), str(p)), str(p), p.stem)
