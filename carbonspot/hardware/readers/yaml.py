"""Our accelerator YAML schema (docs/hardware-yaml.md): read with validation, and export.

One file describes one accelerator: ``name``, ``array`` (digital PEs or an IMC macro array),
optional ``technology`` and a bottom-up ``memories`` list. Costs may be numbers or ``auto``
(SRAM table, DFF registers, 3.7 pJ/bit DRAM, IMC cell writes; carbonspot-model.md §5).
Every rejected value raises :class:`InputError` naming the file, the field and what is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import yaml

from carbonspot.errors import InputError
from carbonspot.hardware.memory import dram_access_pj, imc_weight_write_pj, register_cost, sram_cost
from carbonspot.hardware.model import (
    DIRECTIONS,
    OPERAND_NAMES,
    Accelerator,
    DigitalArray,
    ImcArray,
    MemoryLevel,
    Port,
    Technology,
)
from carbonspot.hardware.templates import DATAFLOWS, scaled_technology
from carbonspot.presets import Preset, get_preset
from carbonspot.workload.model import LOOP_DIMS
from carbonspot.yaml_file import read_yaml_file

ARRAY_TYPES = ("digital", "aimc", "dimc")
MEMORY_KINDS = ("reg", "sram", "dram", "cells")
PORT_KINDS = ("r", "w", "rw")
_DIM_RE = re.compile(r"^D\d+$")
_READ_DIRS = ("tl", "th")
_WRITE_DIRS = ("fh", "fl")


def is_zigzag_yaml(path: Path) -> bool:
    """True when the file looks like a ZigZag v3 accelerator (``operational_array`` + dict memories)."""
    data = read_yaml_file(path, duplicates="ignore")  # read for real by the matching reader
    return (
        isinstance(data, dict)
        and "operational_array" in data
        and isinstance(data.get("memories"), dict)
    )


class _Ctx:
    """Error helper bound to a source file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def err(self, field: str, message: str, allowed: Any = None) -> InputError:
        return InputError(message, source=self.source, field=field, allowed=allowed)

    def mapping(self, obj: Any, field: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise self.err(field, "must be a mapping", "key: value pairs")
        return obj

    def keys(self, obj: dict[str, Any], field: str, allowed: set[str], required: set[str]) -> None:
        for key in obj:
            if key not in allowed:
                raise self.err(f"{field}.{key}", "unknown key", sorted(allowed))
        for key in sorted(required):
            if key not in obj:
                raise self.err(f"{field}.{key}", "missing", "a value")

    def integer(self, value: Any, field: str, minimum: int = 1, pow2: bool = False) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            raise self.err(field, f"{value!r} is not an integer", f"integers >= {minimum}")
        v = int(value)
        if v < minimum:
            raise self.err(field, f"{v} is too small", f"integers >= {minimum}")
        if pow2 and v & (v - 1):
            raise self.err(field, f"{v} is not a power of two", "powers of two (1, 2, 4, 8, ...)")
        return v

    def number(self, value: Any, field: str, minimum: float = 0.0, strict: bool = False) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.err(field, f"{value!r} is not a number", "finite numbers")
        v = float(value)
        if v < minimum or (strict and v == minimum):
            bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
            word = "negative" if v < 0 and minimum == 0 else "out of range"
            raise self.err(field, f"{v:g} is {word}", f"numbers {bound}")
        return v


def _technology(ctx: _Ctx, data: Any) -> Technology:
    if data is None:
        return Technology()
    data = ctx.mapping(data, "technology")
    names = {f.name for f in fields(Technology)}
    ctx.keys(data, "technology", names, set())
    values = {k: ctx.number(v, f"technology.{k}", strict=True) for k, v in data.items()}
    if set(values) <= {"node_nm", "vdd_v"}:
        # only node/supply given: scale the 28 nm gate constants (templates.scaled_technology)
        return scaled_technology(values.get("node_nm", 28.0), values.get("vdd_v", 0.9))
    return Technology(**values)


def _array(ctx: _Ctx, data: Any, tech: Technology) -> DigitalArray | ImcArray:
    data = ctx.mapping(data, "array")
    kind = data.get("type")
    if kind not in ARRAY_TYPES:
        raise ctx.err("array.type", f"{kind!r} is not an array type", ARRAY_TYPES)
    common = {"type", "dims", "input_bits", "weight_bits"}
    if kind == "digital":
        allowed = common | {"mac_energy_pj", "pe_area_mm2", "tclk_ns", "reduce_dim"}
        required = {"dims", "mac_energy_pj", "pe_area_mm2", "tclk_ns"}
    else:
        allowed = common | {
            "input_bits_per_cycle",
            "adc_bits",
            "group_depth",
            "wl_dim",
            "bl_dim",
            "cell_group_area_mm2",
        }
        required = {"dims"}
    ctx.keys(data, "array", allowed, required)
    dims_raw = ctx.mapping(data["dims"], "array.dims")
    if not dims_raw:
        raise ctx.err("array.dims", "empty", "D1: size, D2: size, ...")
    dims = []
    for name, size in dims_raw.items():
        if not isinstance(name, str) or not _DIM_RE.match(name):
            raise ctx.err("array.dims", f"bad dimension name {name!r}", "D1, D2, D3, ...")
        dims.append((name, ctx.integer(size, f"array.dims.{name}")))
    dims_t = tuple(dims)
    imc = kind != "digital"
    pin = ctx.integer(data.get("input_bits", 8), "array.input_bits", pow2=imc)
    pw = ctx.integer(data.get("weight_bits", 8), "array.weight_bits", pow2=imc)
    names = [d for d, _ in dims_t]
    if kind == "digital":
        reduce_dim = data.get("reduce_dim")
        if reduce_dim is not None:
            if reduce_dim not in names:
                raise ctx.err(
                    "array.reduce_dim",
                    f"{reduce_dim!r} is not an array dimension",
                    names + ["null"],
                )
            ctx.integer(dict(dims_t)[reduce_dim], f"array.dims.{reduce_dim}", pow2=True)
        return DigitalArray(
            dims=dims_t,
            mac_energy_pj=ctx.number(data["mac_energy_pj"], "array.mac_energy_pj"),
            pe_area_mm2=ctx.number(data["pe_area_mm2"], "array.pe_area_mm2"),
            tclk_ns=ctx.number(data["tclk_ns"], "array.tclk_ns", strict=True),
            input_bits=pin,
            weight_bits=pw,
            reduce_dim=reduce_dim,
            tech=tech,
        )
    if len(dims_t) < 2:
        raise ctx.err(
            "array.dims",
            "an IMC array needs a wordline and a bitline dimension",
            "D1: wordline size, D2: bitline size, [D3: macros]",
        )
    wl = data.get("wl_dim", names[0])
    bl = data.get("bl_dim", names[1])
    for key, value in (("wl_dim", wl), ("bl_dim", bl)):
        if value not in names:
            raise ctx.err(f"array.{key}", f"{value!r} is not an array dimension", names)
    if wl == bl:
        raise ctx.err("array.bl_dim", "same as wl_dim", [n for n in names if n != wl])
    ctx.integer(dict(dims_t)[bl], f"array.dims.{bl}", minimum=1, pow2=True)
    b = ctx.integer(data.get("input_bits_per_cycle", 1), "array.input_bits_per_cycle", pow2=True)
    if b > pin:
        raise ctx.err(
            "array.input_bits_per_cycle", f"{b} exceeds input_bits {pin}", f"powers of two <= {pin}"
        )
    log2_bl = math.floor(math.log2(dict(dims_t)[bl]))
    adc = data.get("adc_bits")
    if kind == "aimc":
        adc = b + 0.5 * log2_bl if adc is None else ctx.number(adc, "array.adc_bits", 1.0)
    else:
        adc = 0.0 if adc is None else ctx.number(adc, "array.adc_bits")
    cga = data.get("cell_group_area_mm2")
    return ImcArray(
        imc_type="analog" if kind == "aimc" else "digital",
        dims=dims_t,
        input_bits=pin,
        weight_bits=pw,
        input_bits_per_cycle=b,
        adc_bits=float(adc),
        group_depth=ctx.integer(data.get("group_depth", 1), "array.group_depth"),
        wl_dim=wl,
        bl_dim=bl,
        tech=tech,
        cell_group_area_mm2=None if cga is None else ctx.number(cga, "array.cell_group_area_mm2"),
    )


def _port(ctx: _Ctx, data: Any, field: str, operands: tuple[str, ...]) -> Port:
    data = ctx.mapping(data, field)
    ctx.keys(
        data,
        field,
        {"name", "kind", "bw_max_bits", "bw_min_bits", "allocation"},
        {"name", "kind", "bw_max_bits", "allocation"},
    )
    kind = data["kind"]
    if kind not in PORT_KINDS:
        raise ctx.err(f"{field}.kind", f"{kind!r} is not a port kind", PORT_KINDS)
    bw_max = ctx.integer(data["bw_max_bits"], f"{field}.bw_max_bits")
    bw_min = ctx.integer(data.get("bw_min_bits", bw_max), f"{field}.bw_min_bits")
    if bw_min > bw_max:
        raise ctx.err(f"{field}.bw_min_bits", f"{bw_min} > bw_max_bits {bw_max}", f"1..{bw_max}")
    alloc_raw = data["allocation"]
    if not isinstance(alloc_raw, list) or not alloc_raw:
        raise ctx.err(f"{field}.allocation", "must be a non-empty list", '["I,tl", "O,fl"]')
    alloc = []
    for i, item in enumerate(alloc_raw):
        parts = [s.strip() for s in str(item).split(",")]
        f = f"{field}.allocation[{i}]"
        if len(parts) != 2:
            raise ctx.err(f, f"{item!r} is not 'operand,direction'", '"I,tl"')
        op, direction = parts
        if op not in operands:
            raise ctx.err(f, f"operand {op!r} is not held by this memory", operands)
        if direction not in DIRECTIONS:
            raise ctx.err(f, f"direction {direction!r} unknown", DIRECTIONS)
        if kind == "r" and direction in _WRITE_DIRS or kind == "w" and direction in _READ_DIRS:
            ok = _READ_DIRS if kind == "r" else _WRITE_DIRS
            raise ctx.err(f, f"a {kind!r} port cannot carry {direction!r}", ok)
        alloc.append((op, direction))
    return Port(str(data["name"]), kind, bw_max, bw_min, tuple(alloc))


def default_ports(
    operands: tuple[str, ...], r_bw: int, w_bw: int, r_min: int, w_min: int, top: bool
) -> tuple[Port, ...]:
    """One port per (operand, direction) as the templates use (reads tl/th, writes fh/fl)."""
    reads = [(op, "tl") for op in operands]
    writes = [(op, "fh") for op in operands if op != "O"]
    if "O" in operands:
        writes.append(("O", "fl"))
        if not top:
            reads.append(("O", "th"))
            writes.append(("O", "fh"))
    ports = [Port(f"r_port_{i + 1}", "r", r_bw, r_min, (a,)) for i, a in enumerate(reads)]
    ports += [Port(f"w_port_{i + 1}", "w", w_bw, w_min, (a,)) for i, a in enumerate(writes)]
    return tuple(ports)


_MEM_KEYS = {
    "name",
    "kind",
    "operands",
    "size_bits",
    "r_bw_bits",
    "w_bw_bits",
    "r_bw_min_bits",
    "w_bw_min_bits",
    "r_energy_pj",
    "w_energy_pj",
    "area_mm2",
    "served_dims",
    "latency_cycles",
    "ports",
}


def _memory(
    ctx: _Ctx, data: Any, i: int, array: DigitalArray | ImcArray, top: bool, preset: Preset
) -> MemoryLevel:
    field = f"memories[{i}]"
    data = ctx.mapping(data, field)
    ctx.keys(data, field, _MEM_KEYS, {"name", "operands", "size_bits", "r_bw_bits"})
    name = str(data["name"])
    field = f"memories[{i}] ({name})"
    kind = data.get("kind", "sram")
    if kind not in MEMORY_KINDS:
        raise ctx.err(f"{field}.kind", f"{kind!r} unknown", MEMORY_KINDS)
    ops_raw = data["operands"]
    if not isinstance(ops_raw, list) or not ops_raw:
        raise ctx.err(f"{field}.operands", "must be a non-empty list", OPERAND_NAMES)
    for op in ops_raw:
        if op not in OPERAND_NAMES:
            raise ctx.err(f"{field}.operands", f"unknown operand {op!r}", OPERAND_NAMES)
    if len(set(ops_raw)) != len(ops_raw):
        raise ctx.err(f"{field}.operands", "duplicate operand", OPERAND_NAMES)
    operands = tuple(ops_raw)
    size = ctx.integer(data["size_bits"], f"{field}.size_bits")
    r_bw = ctx.integer(data["r_bw_bits"], f"{field}.r_bw_bits")
    w_bw = ctx.integer(data.get("w_bw_bits", r_bw), f"{field}.w_bw_bits")
    r_min = ctx.integer(data.get("r_bw_min_bits") or r_bw, f"{field}.r_bw_min_bits")
    w_min = ctx.integer(data.get("w_bw_min_bits") or w_bw, f"{field}.w_bw_min_bits")
    if r_min > r_bw:
        raise ctx.err(f"{field}.r_bw_min_bits", f"{r_min} > r_bw_bits {r_bw}", f"1..{r_bw}")
    if w_min > w_bw:
        raise ctx.err(f"{field}.w_bw_min_bits", f"{w_min} > w_bw_bits {w_bw}", f"1..{w_bw}")
    dim_names = [d for d, _ in array.dims]
    served_raw = data.get("served_dims", [])
    if served_raw == "all":
        served_raw = dim_names
    if not isinstance(served_raw, list):
        raise ctx.err(f"{field}.served_dims", "must be a list", dim_names + ["all"])
    for d in served_raw:
        if d not in dim_names:
            raise ctx.err(f"{field}.served_dims", f"{d!r} is not an array dimension", dim_names)
    tech = array.tech
    auto: dict[str, float] = {}
    if kind == "sram":
        c = sram_cost(size, max(r_bw, w_bw), node_nm=tech.node_nm, vdd_v=tech.vdd_v, preset=preset)
        auto = {"r_energy_pj": c.r_energy_pj, "w_energy_pj": c.w_energy_pj, "area_mm2": c.area_mm2}
    elif kind == "reg":
        c = register_cost(size, tech)
        auto = {"r_energy_pj": c.r_energy_pj, "w_energy_pj": c.w_energy_pj, "area_mm2": c.area_mm2}
    elif kind == "dram":
        auto = {
            "r_energy_pj": dram_access_pj(r_bw),
            "w_energy_pj": dram_access_pj(w_bw),
            "area_mm2": 0.0,
        }
    elif kind == "cells":
        if not isinstance(array, ImcArray):
            raise ctx.err(f"{field}.kind", "cells need an IMC array", ["reg", "sram", "dram"])
        auto = {
            "r_energy_pj": 0.0,
            "w_energy_pj": imc_weight_write_pj(
                array.wl,
                array.bl,
                array.group_depth,
                array.weight_bits,
                preset=preset,
                node_nm=tech.node_nm,
                vdd_v=tech.vdd_v,
            ),
            "area_mm2": 0.0,
        }
    costs = {}
    for key in ("r_energy_pj", "w_energy_pj", "area_mm2"):
        value = data.get(key, "auto")
        costs[key] = float(auto[key]) if value == "auto" else ctx.number(value, f"{field}.{key}")
    if "ports" in data:
        if not isinstance(data["ports"], list) or not data["ports"]:
            raise ctx.err(f"{field}.ports", "must be a non-empty list", "port mappings")
        ports = tuple(
            _port(ctx, p, f"{field}.ports[{j}]", operands) for j, p in enumerate(data["ports"])
        )
    else:
        ports = default_ports(operands, r_bw, w_bw, r_min, w_min, top)
    latency = data.get("latency_cycles", 0 if kind == "cells" else 1)
    return MemoryLevel(
        name=name,
        size_bits=size,
        operands=operands,
        r_bw_bits=r_bw,
        w_bw_bits=w_bw,
        r_energy_pj=costs["r_energy_pj"],
        w_energy_pj=costs["w_energy_pj"],
        area_mm2=costs["area_mm2"],
        served_dims=tuple(served_raw),
        ports=ports,
        r_bw_min_bits=None if data.get("r_bw_min_bits") is None else r_min,
        w_bw_min_bits=None if data.get("w_bw_min_bits") is None else w_min,
        latency_cycles=ctx.integer(latency, f"{field}.latency_cycles", minimum=0),
        kind=kind,
    )


def check_hierarchy(acc: Accelerator, source: str = "") -> None:
    """Checks shared by all loaders: every operand has a memory, names unique, IMC weights."""
    ctx = _Ctx(source or acc.name)
    seen: set[str] = set()
    for m in acc.memories:
        if m.name in seen:
            raise ctx.err(f"memories ({m.name})", "duplicate memory name", "unique names")
        seen.add(m.name)
    for op in OPERAND_NAMES:
        if not acc.levels(op):
            raise ctx.err(
                "memories", f"operand {op} has no memory", "at least one memory per operand I, W, O"
            )
    if acc.is_imc:
        lowest_w = acc.levels("W")[0]
        if lowest_w.served_dims:
            raise ctx.err(
                f"memories ({lowest_w.name}).served_dims",
                "the IMC weight cells must not be shared",
                "[]",
            )


def accelerator_from_dict(
    data: Any, preset: str | Preset | None = None, source: str = "<yaml>"
) -> Accelerator:
    """Build and validate an :class:`Accelerator` from our schema (already parsed YAML)."""
    p = get_preset(preset)
    ctx = _Ctx(source)
    data = ctx.mapping(data, "top level")
    ctx.keys(
        data,
        "top level",
        {"name", "array", "technology", "memories", "spec", "params", "dataflow"},
        {"name", "array", "memories"},
    )
    tech = _technology(ctx, data.get("technology"))
    array = _array(ctx, data["array"], tech)
    mems_raw = data["memories"]
    if not isinstance(mems_raw, list) or not mems_raw:
        raise ctx.err("memories", "must be a non-empty list (bottom-up)", "memory mappings")
    mems = tuple(
        _memory(ctx, m, i, array, i == len(mems_raw) - 1, p) for i, m in enumerate(mems_raw)
    )
    params = data.get("params") or {}
    acc = Accelerator(
        name=str(data["name"]),
        array=array,
        memories=mems,
        spec=str(data.get("spec", source)),
        preset=p.name,
        params=tuple(sorted(ctx.mapping(params, "params").items())),
        hint=_dataflow(ctx, data.get("dataflow"), array),
    )
    check_hierarchy(acc, source)
    return acc


def _dataflow(ctx: _Ctx, raw: Any, array: Any) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """``dataflow``: the layer loops the mapper may unroll on each array dimension, e.g.
    ``{D1: [K, OX, OY], D2: [C, FX, FY]}``, or the name of one of ``DATAFLOWS`` (ws, os, is).
    Absent: the template's by name, else any loop on any dimension."""
    if raw is None:
        return None
    if isinstance(raw, str):
        if raw not in DATAFLOWS:
            raise ctx.err("dataflow", f"unknown dataflow {raw!r}", list(DATAFLOWS))
        return tuple(DATAFLOWS[raw].items())
    doc = ctx.mapping(raw, "dataflow")
    dims = set(array.dim_sizes)
    out = []
    for dim, loops in doc.items():
        if dim not in dims:
            raise ctx.err(f"dataflow.{dim}", "not an array dimension", sorted(dims))
        if not isinstance(loops, list) or not loops or not all(lp in LOOP_DIMS for lp in loops):
            raise ctx.err(f"dataflow.{dim}", "must be a non-empty list of layer loops", LOOP_DIMS)
        out.append((str(dim), tuple(str(lp) for lp in loops)))
    return tuple(out)


def read_accelerator_yaml(path: str | Path, preset: str | Preset | None = None) -> Accelerator:
    """Read one of our accelerator YAML files (docs/hardware-yaml.md)."""
    acc = accelerator_from_dict(read_yaml_file(Path(path)), preset, source=str(path))
    return acc


def accelerator_to_dict(acc: Accelerator) -> dict[str, Any]:
    """Our schema as plain data (inverse of :func:`accelerator_from_dict`, costs explicit)."""
    arr = acc.array
    if isinstance(arr, ImcArray):
        array: dict[str, Any] = {
            "type": "aimc" if arr.imc_type == "analog" else "dimc",
            "dims": dict(arr.dims),
            "input_bits": arr.input_bits,
            "weight_bits": arr.weight_bits,
            "input_bits_per_cycle": arr.input_bits_per_cycle,
            "adc_bits": arr.adc_bits,
            "group_depth": arr.group_depth,
            "wl_dim": arr.wl_dim,
            "bl_dim": arr.bl_dim,
            "cell_group_area_mm2": arr.cell_group_area_mm2,
        }
    else:
        array = {
            "type": "digital",
            "dims": dict(arr.dims),
            "input_bits": arr.input_bits,
            "weight_bits": arr.weight_bits,
            "mac_energy_pj": arr.mac_energy_pj,
            "pe_area_mm2": arr.pe_area_mm2,
            "tclk_ns": arr.tclk_ns,
            "reduce_dim": arr.reduce_dim,
        }
    mems = []
    for m in acc.memories:
        mems.append(
            {
                "name": m.name,
                "kind": m.kind,
                "operands": list(m.operands),
                "size_bits": m.size_bits,
                "r_bw_bits": m.r_bw_bits,
                "w_bw_bits": m.w_bw_bits,
                "r_bw_min_bits": m.r_bw_min_bits,
                "w_bw_min_bits": m.w_bw_min_bits,
                "r_energy_pj": m.r_energy_pj,
                "w_energy_pj": m.w_energy_pj,
                "area_mm2": m.area_mm2,
                "served_dims": list(m.served_dims),
                "latency_cycles": m.latency_cycles,
                "ports": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "bw_max_bits": p.bw_max_bits,
                        "bw_min_bits": p.bw_min_bits,
                        "allocation": [f"{o},{d}" for o, d in p.allocation],
                    }
                    for p in m.ports
                ],
            }
        )
    out: dict[str, Any] = {"name": acc.name}
    if acc.spec:
        out["spec"] = acc.spec
    if acc.params:
        out["params"] = {k: v for k, v in acc.params}
    out["array"] = array
    out["technology"] = asdict(arr.tech)
    out["memories"] = mems
    if acc.hint is not None:
        out["dataflow"] = {dim: list(loops) for dim, loops in acc.hint}
    return out


def accelerator_to_yaml(acc: Accelerator) -> str:
    """Our YAML text for ``acc`` (all costs explicit, so it reloads to an equal accelerator)."""
    header = (
        f"# CarbonSpot accelerator ({acc.name}), exported under preset {acc.preset}.\n"
        "# Schema: docs/hardware-yaml.md. Sizes in bits, energies in pJ per full-word access,\n"
        "# areas in mm² per instance, memories bottom-up.\n"
    )
    return header + yaml.safe_dump(accelerator_to_dict(acc), sort_keys=False)
