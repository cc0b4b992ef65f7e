"""Read ZigZag v3 accelerator YAML (zigzag-model.md §2.1, §8.1) into an :class:`Accelerator`.

Mapping of concepts:

* memory operands ``I1``/``I2``/``O`` become ``I``/``W``/``O`` (ZigZag's default operand links);
* ``size`` (bits), ``r_cost``/``w_cost`` (pJ per full word), ``area`` (one instance),
  ``latency``, ``served_dimensions`` and ``ports`` carry over; a memory's read (write) word is
  the widest ``bandwidth_max`` of its read-capable (write-capable) ports and its granularity the
  smallest ``bandwidth_min``;
* ``auto_cost_extraction: true`` uses our CACTI-derived SRAM table instead of CACTI;
* a non-IMC operational array becomes a :class:`DigitalArray` with ``unit_energy`` per MAC and
  ``unit_area`` per unit; ZigZag has no clock for it, so ``tclk_ns`` is 1 ns (1 GHz) unless an
  extra key ``tclk_ns`` is given;
* an IMC array (``is_imc: true``) becomes an :class:`ImcArray`: dims sorted by name, the first
  is the wordline dim and the second the bitline dim, the rest count macros;
  ``group_depth = cells.size / weight bits``; cell area = ``cells.area`` per cell group unless
  ``cells.auto_cost_extraction`` (then the SRAM model of the macro's cell array).

The validator follows ZigZag's rules (cerberus schema + IMC rules) and raises
:class:`InputError` naming the field and the allowed values.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from carbonspot.errors import InputError, warn_input
from carbonspot.hardware.memory import sram_cost
from carbonspot.hardware.model import (
    DIRECTIONS,
    Accelerator,
    DigitalArray,
    ImcArray,
    MemoryLevel,
    Port,
    Technology,
)
from carbonspot.hardware.readers.yaml import check_hierarchy
from carbonspot.presets import Preset, get_preset
from carbonspot.yaml_file import read_yaml_file

ZZ_OPERANDS = {"I1": "I", "I2": "W", "O": "O"}
PORT_TYPES = {"read": "r", "write": "w", "read_write": "rw"}
_PORT_NAME = re.compile(r"^[r]?[w]?_port_\d+$")
_DIM = re.compile(r"^D\d$")
_LEGACY_MEM_KEYS = {
    "r_bw",
    "w_bw",
    "r_port",
    "w_port",
    "rw_port",
    "min_r_granularity",
    "min_w_granularity",
}
_MEM_KEYS = _LEGACY_MEM_KEYS | {
    "size",
    "r_cost",
    "w_cost",
    "area",
    "latency",
    "mem_type",
    "auto_cost_extraction",
    "operands",
    "ports",
    "served_dimensions",
    "force_double_buffering",
}
_OA_KEYS = {
    "dimensions",
    "sizes",
    "unit_energy",
    "unit_area",
    "input_precision",
    "is_imc",
    "imc_type",
    "bit_serial_precision",
    "adc_resolution",
    "tclk_ns",
    "systolic_dimensions",
}


def _err(source: str, field: str, message: str, allowed: Any = None) -> InputError:
    return InputError(message, source=source, field=field, allowed=allowed)


def _int(src: str, value: Any, field: str, minimum: int = 0) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not value.is_integer())
    ):
        raise _err(src, field, f"{value!r} is not an integer", f"integers >= {minimum}")
    if value < minimum:
        raise _err(src, field, f"{value} is too small", f"integers >= {minimum}")
    return int(value)


def _num(src: str, value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _err(src, field, f"{value!r} is not a number", "finite numbers >= 0")
    if value < 0:
        raise _err(src, field, f"{value:g} is negative", "numbers >= 0")
    return float(value)


def _pow2(src: str, value: int, field: str) -> int:
    if value < 1 or value & (value - 1):
        raise _err(src, field, f"{value} is not a power of two", "powers of two (1, 2, 4, 8, ...)")
    return value


def _array(src: str, oa: Any) -> DigitalArray | ImcArray:
    if not isinstance(oa, dict):
        raise _err(src, "operational_array", "must be a mapping", "dimensions, sizes, ...")
    for key in oa:
        if key not in _OA_KEYS:
            raise _err(src, f"operational_array.{key}", "unknown key", sorted(_OA_KEYS))
    dims, sizes = oa.get("dimensions"), oa.get("sizes")
    if not isinstance(dims, list) or not isinstance(sizes, list) or len(dims) != len(sizes):
        raise _err(
            src,
            "operational_array.dimensions",
            "dimensions and sizes must be lists of equal length",
            "[D1, D2, ...] with [size1, size2, ...]",
        )
    for d in dims:
        if not isinstance(d, str) or not _DIM.match(d):
            raise _err(src, "operational_array.dimensions", f"bad dimension {d!r}", "D1..D9")
    if len(set(dims)) != len(dims):
        raise _err(src, "operational_array.dimensions", "duplicate dimension", "unique D1..D9")
    sizes_i = [_int(src, s, f"operational_array.sizes[{i}]", 1) for i, s in enumerate(sizes)]
    pairs = tuple(sorted(zip(dims, sizes_i, strict=True)))
    prec = oa.get("input_precision", [8, 8])
    if not isinstance(prec, list) or len(prec) != 2:
        raise _err(
            src,
            "operational_array.input_precision",
            f"{prec!r} is not [act, weight]",
            "[activation bits, weight bits]",
        )
    act = _int(src, prec[0], "operational_array.input_precision[0]", 1)
    wgt = _int(src, prec[1], "operational_array.input_precision[1]", 1)
    systolic = oa.get("systolic_dimensions", [])
    if not isinstance(systolic, list) or not set(systolic) <= set(dims):
        raise _err(
            src,
            "operational_array.systolic_dimensions",
            f"{systolic!r} is not a list of its dimensions",
            dims,
        )
    if not oa.get("is_imc", False):
        for key in ("imc_type", "adc_resolution", "bit_serial_precision"):
            if key in oa:
                raise _err(
                    src,
                    f"operational_array.{key}",
                    "only allowed with is_imc: true",
                    ["dimensions", "sizes", "unit_energy", "unit_area", "input_precision"],
                )
        for key in ("unit_energy", "unit_area"):
            if key not in oa:
                raise _err(src, f"operational_array.{key}", "missing", "a number >= 0")
        return DigitalArray(
            dims=pairs,
            mac_energy_pj=_num(src, oa["unit_energy"], "operational_array.unit_energy"),
            pe_area_mm2=_num(src, oa["unit_area"], "operational_array.unit_area"),
            tclk_ns=_num(src, oa.get("tclk_ns", 1.0), "operational_array.tclk_ns") or 1.0,
            input_bits=act,
            weight_bits=wgt,
            systolic_dims=tuple(sorted(set(systolic))),
        )
    if systolic:
        raise _err(
            src,
            "operational_array.systolic_dimensions",
            "systolic arrays are digital MAC arrays",
            "no systolic_dimensions with is_imc: true",
        )
    imc_type = oa.get("imc_type")
    if imc_type not in ("analog", "digital"):
        raise _err(
            src, "operational_array.imc_type", f"{imc_type!r} unknown", ["analog", "digital"]
        )
    _pow2(src, act, "operational_array.input_precision[0]")
    _pow2(src, wgt, "operational_array.input_precision[1]")
    b = _int(src, oa.get("bit_serial_precision", act), "operational_array.bit_serial_precision", 1)
    _pow2(src, b, "operational_array.bit_serial_precision")
    if b > act:
        raise _err(
            src,
            "operational_array.bit_serial_precision",
            f"{b} > activation bits {act}",
            f"powers of two <= {act}",
        )
    if len(pairs) < 2:
        raise _err(
            src,
            "operational_array.dimensions",
            "IMC needs wordline and bitline dims",
            "[D1, D2, (D3 ...)]",
        )
    _pow2(src, pairs[1][1], f"operational_array.sizes ({pairs[1][0]}, bitline)")
    adc = oa.get("adc_resolution", 0)
    adc_f = _num(src, adc, "operational_array.adc_resolution")
    if imc_type == "digital" and adc_f != 0:
        raise _err(src, "operational_array.adc_resolution", "must be 0 for digital IMC", [0])
    return ImcArray(
        imc_type=imc_type,
        dims=pairs,
        input_bits=act,
        weight_bits=wgt,
        input_bits_per_cycle=b,
        adc_bits=adc_f,
        wl_dim=pairs[0][0],
        bl_dim=pairs[1][0],
        tech=Technology(),
    )


def _ports(src: str, field: str, raw: Any, operands: tuple[str, ...]) -> tuple[Port, ...]:
    if not isinstance(raw, list) or not raw:
        raise _err(
            src,
            field,
            "must be a non-empty list of ports",
            "name/type/bandwidth_*/allocation entries",
        )
    out = []
    for j, p in enumerate(raw):
        f = f"{field}[{j}]"
        if not isinstance(p, dict):
            raise _err(src, f, "must be a mapping", "name, type, bandwidth_min/max, allocation")
        name = p.get("name")
        if not isinstance(name, str) or not _PORT_NAME.match(name):
            raise _err(
                src, f"{f}.name", f"{name!r} is not a port name", "r_port_N, w_port_N, rw_port_N"
            )
        kind = PORT_TYPES.get(p.get("type"))
        if kind is None:
            raise _err(src, f"{f}.type", f"{p.get('type')!r} unknown", list(PORT_TYPES))
        bw_max = _int(src, p.get("bandwidth_max"), f"{f}.bandwidth_max", 1)
        bw_min = _int(src, p.get("bandwidth_min", bw_max), f"{f}.bandwidth_min", 1)
        if bw_min > bw_max:
            raise _err(
                src, f"{f}.bandwidth_min", f"{bw_min} > bandwidth_max {bw_max}", f"1..{bw_max}"
            )
        alloc = []
        for k, item in enumerate(p.get("allocation") or []):
            parts = [s.strip() for s in str(item).split(",")]
            fa = f"{f}.allocation[{k}]"
            if len(parts) != 2 or parts[0] not in ZZ_OPERANDS:
                raise _err(
                    src,
                    fa,
                    f"{item!r} is not '<operand>, <direction>'",
                    [f"{o}, {d}" for o in ZZ_OPERANDS for d in DIRECTIONS][:4] + ["..."],
                )
            op = ZZ_OPERANDS[parts[0]]
            if op not in operands:
                raise _err(
                    src,
                    fa,
                    f"operand {parts[0]} is not held by this memory",
                    [k2 for k2, v in ZZ_OPERANDS.items() if v in operands],
                )
            if parts[1] not in DIRECTIONS:
                raise _err(src, fa, f"direction {parts[1]!r} unknown", DIRECTIONS)
            if (kind == "r" and parts[1] in ("fh", "fl")) or (
                kind == "w" and parts[1] in ("tl", "th")
            ):
                raise _err(
                    src,
                    fa,
                    f"a {p.get('type')} port cannot carry {parts[1]}",
                    ["tl", "th"] if kind == "r" else ["fh", "fl"],
                )
            alloc.append((op, parts[1]))
        out.append(Port(name, kind, bw_max, bw_min, tuple(alloc)))
    return tuple(out)


def _is_legacy_ports(raw: Any) -> bool:
    """Early ZigZag v3 files list, per operand, a ``{direction: port_name}`` mapping."""
    return (
        isinstance(raw, list)
        and bool(raw)
        and all(isinstance(p, dict) and "name" not in p for p in raw)
    )


def _legacy_ports(
    src: str, field: str, mem: dict[str, Any], ops_raw: list[str]
) -> tuple[Port, ...]:
    """Ports of the early v3 format: ``r_bw``/``w_bw`` words, ``min_*_granularity``, and
    ``ports[i]`` mapping directions of the i-th operand to ``r_port_k``/``w_port_k``/``rw_port_k``
    (rw ports use the read width, zigzag-model.md §2.1 / carbonspot-model.md §8)."""
    raw = mem["ports"]
    if len(raw) != len(ops_raw):
        raise _err(
            src,
            field,
            f"{len(raw)} port mappings for {len(ops_raw)} operands",
            "one {direction: port} mapping per operand, in operand order",
        )
    r_bw = _int(src, mem.get("r_bw"), f"{field[:-6]}.r_bw", 1)
    w_bw = _int(src, mem.get("w_bw", r_bw), f"{field[:-6]}.w_bw", 1)
    r_min = _int(src, mem.get("min_r_granularity") or r_bw, f"{field[:-6]}.min_r_granularity", 1)
    w_min = _int(src, mem.get("min_w_granularity") or w_bw, f"{field[:-6]}.min_w_granularity", 1)
    alloc: dict[str, list[tuple[str, str]]] = {}
    for i, (op, mapping) in enumerate(zip(ops_raw, raw, strict=True)):
        for direction, port in mapping.items():
            f = f"{field}[{i}].{direction}"
            if direction not in DIRECTIONS:
                raise _err(src, f, f"direction {direction!r} unknown", DIRECTIONS)
            if not isinstance(port, str) or not _PORT_NAME.match(port):
                raise _err(src, f, f"{port!r} is not a port name", "r_port_N, w_port_N, rw_port_N")
            kind = "rw" if port.startswith("rw") else port[0]
            if (kind == "r" and direction in ("fh", "fl")) or (
                kind == "w" and direction in ("tl", "th")
            ):
                raise _err(
                    src, f, f"{port} cannot carry {direction}", "r ports: tl, th; w ports: fh, fl"
                )
            alloc.setdefault(port, []).append((ZZ_OPERANDS[op], direction))
    ports = []
    for name, items in alloc.items():
        kind = "rw" if name.startswith("rw") else name[0]
        bw, bmin = (w_bw, w_min) if kind == "w" else (r_bw, r_min)
        ports.append(Port(name, kind, bw, min(bmin, bw), tuple(items)))
    return tuple(ports)


def _kind(name: str, mem: dict[str, Any], size: int) -> str:
    if name == "cells":
        return "cells"
    if mem.get("mem_type") == "dram" or "dram" in name.lower():
        return "dram"
    if mem.get("mem_type") == "rf" or name.lower().startswith(("rf", "reg")) or size <= 64:
        return "reg"
    return "sram"


def accelerator_from_zigzag(
    data: Any, preset: str | Preset | None = None, source: str = "<zigzag yaml>"
) -> Accelerator:
    """Build an :class:`Accelerator` from parsed ZigZag v3 accelerator YAML."""
    p = get_preset(preset)
    src = source
    if not isinstance(data, dict):
        raise _err(src, "top level", "must be a mapping", "name, memories, operational_array")
    for key in data:
        if key not in ("name", "memories", "operational_array", "dataflows", "core_id"):
            raise _err(
                src, key, "unknown key", ["name", "memories", "operational_array", "dataflows"]
            )
    for key in ("name", "memories", "operational_array"):
        if key not in data:
            raise _err(src, key, "missing", "a value")
    if data.get("dataflows"):
        warn_input(
            "dataflows is ignored: give the spatial mapping in the mapping file", source=src,
            field="dataflows",
        )  # fmt: skip
    array = _array(src, data["operational_array"])
    dim_names = [d for d, _ in array.dims]
    mems_raw = data["memories"]
    if not isinstance(mems_raw, dict) or not mems_raw:
        raise _err(
            src,
            "memories",
            "must be a non-empty mapping (lowest level first)",
            "memory_name: {size, r_cost, ...}",
        )
    if array.__class__ is ImcArray and "cells" not in mems_raw:
        raise _err(src, "memories", "an IMC accelerator needs a memory named 'cells'", ["cells"])
    mems = []
    for name, mem in mems_raw.items():
        field = f"memories.{name}"
        if not isinstance(mem, dict):
            raise _err(src, field, "must be a mapping", sorted(_MEM_KEYS))
        for key in mem:
            if key not in _MEM_KEYS:
                raise _err(src, f"{field}.{key}", "unknown key", sorted(_MEM_KEYS))
        size = _int(src, mem.get("size"), f"{field}.size", 1)
        if mem.get("force_double_buffering"):
            # zigzag-dse 3.9.1 makes LOMA's allocator reserve twice a partial tile here
            warn_input(
                "force_double_buffering is ignored: tiles are allocated without the doubled "
                "reservation (docs/zigzag-parity.md)",
                source=src, field=f"{field}.force_double_buffering",
            )  # fmt: skip
        ops_raw = mem.get("operands")
        if not isinstance(ops_raw, list) or not ops_raw:
            raise _err(src, f"{field}.operands", "must be a non-empty list", list(ZZ_OPERANDS))
        for op in ops_raw:
            if op not in ZZ_OPERANDS:
                raise _err(src, f"{field}.operands", f"unknown operand {op!r}", list(ZZ_OPERANDS))
        operands = tuple(ZZ_OPERANDS[o] for o in ops_raw)
        served = mem.get("served_dimensions", [])
        if served == "all":
            served = dim_names
        if not isinstance(served, list):
            raise _err(src, f"{field}.served_dimensions", "must be a list", dim_names)
        for d in served:
            if d not in dim_names:
                raise _err(
                    src, f"{field}.served_dimensions", f"{d!r} is not an array dimension", dim_names
                )
        raw_ports = mem.get("ports")
        if _is_legacy_ports(raw_ports):
            ports = _legacy_ports(src, f"{field}.ports", mem, ops_raw)
        else:
            ports = _ports(src, f"{field}.ports", raw_ports, operands)
        r_ports = [pt for pt in ports if pt.kind in ("r", "rw")]
        w_ports = [pt for pt in ports if pt.kind in ("w", "rw")]
        r_bw = max((pt.bw_max_bits for pt in r_ports), default=0)
        w_bw = max((pt.bw_max_bits for pt in w_ports), default=0)
        if r_bw == 0 or w_bw == 0:
            raise _err(
                src,
                f"{field}.ports",
                "needs a read-capable and a write-capable port",
                ["read", "write", "read_write"],
            )
        r_min = min(pt.bw_min_bits for pt in r_ports)
        w_min = min(pt.bw_min_bits for pt in w_ports)
        auto = bool(mem.get("auto_cost_extraction", False))
        kind = _kind(name, mem, size)
        if name == "cells":
            if operands != ("W",):
                raise _err(src, f"{field}.operands", "cells must hold only the weights", ["[I2]"])
            if served:
                raise _err(src, f"{field}.served_dimensions", "cells are never shared", ["[]"])
            if size % array.weight_bits:
                raise _err(
                    src,
                    f"{field}.size",
                    f"{size} is not a multiple of the weight precision {array.weight_bits}",
                    f"multiples of {array.weight_bits}",
                )
        if auto and kind != "cells":
            c = sram_cost(size, max(r_bw, w_bw), preset=p)
            r_cost, w_cost, area = float(c.r_energy_pj), float(c.w_energy_pj), float(c.area_mm2)
        else:
            missing = [k for k in ("r_cost", "w_cost", "area") if k not in mem and not auto]
            if missing:
                raise _err(
                    src,
                    f"{field}.{missing[0]}",
                    "missing (or set auto_cost_extraction)",
                    "a number >= 0",
                )
            r_cost = _num(src, mem.get("r_cost", 0.0), f"{field}.r_cost")
            w_cost = _num(src, mem.get("w_cost", 0.0), f"{field}.w_cost")
            area = _num(src, mem.get("area", 0.0), f"{field}.area")
        latency = _int(src, mem.get("latency", 1), f"{field}.latency", 0)
        mems.append(
            MemoryLevel(
                name=name,
                size_bits=size,
                operands=operands,
                r_bw_bits=r_bw,
                w_bw_bits=w_bw,
                r_energy_pj=r_cost,
                w_energy_pj=w_cost,
                area_mm2=0.0 if kind == "cells" else area,
                served_dims=tuple(served),
                ports=ports,
                r_bw_min_bits=r_min,
                w_bw_min_bits=w_min,
                latency_cycles=latency,
                kind=kind,
            )
        )
    if isinstance(array, ImcArray):
        cells = mems_raw["cells"]
        gd = int(cells["size"]) // array.weight_bits
        cga = None if cells.get("auto_cost_extraction") else float(cells.get("area", 0.0))
        array = ImcArray(
            imc_type=array.imc_type,
            dims=array.dims,
            input_bits=array.input_bits,
            weight_bits=array.weight_bits,
            input_bits_per_cycle=array.input_bits_per_cycle,
            adc_bits=array.adc_bits,
            group_depth=gd,
            wl_dim=array.wl_dim,
            bl_dim=array.bl_dim,
            tech=array.tech,
            cell_group_area_mm2=cga,
        )
    acc = Accelerator(
        name=str(data["name"]),
        array=array,
        memories=tuple(mems),
        spec=source,
        preset=p.name,
    )
    check_hierarchy(acc, source)
    return acc


def read_zigzag_accelerator(path: str | Path, preset: str | Preset | None = None) -> Accelerator:
    """Read a ZigZag v3 accelerator YAML file."""
    # ZigZag reads its files with PyYAML, which keeps the last of a repeated key (the shipped
    # tpu_like.yaml lists `ports` twice): do the same, with a warning
    doc = read_yaml_file(Path(path), duplicates="last")
    return accelerator_from_zigzag(doc, preset, source=str(path))
