"""Accelerator-level hardware figures: area, clock period and peak metrics with breakdowns.

Area (carbonspot-model.md §3.2, §4.9): array (PEs + adder trees, or IMC macros incl. their
cell arrays) plus every memory level. The original counts one instance per memory level; the
corrected preset (``mem_area_once_per_level`` off) counts every replica (registers per PE,
ZigZag's ``unroll_count``, carbonspot-model.md §13 item 6). DRAM has area 0. Memory areas are
the ones stored in the levels (built under the accelerator's preset).

Clock: the array's critical path (IMC macro, or 5 ns + WS adder tree); memories are assumed
not to limit it, as in the original.

Breakdown keys: ``array:<part>`` and ``mem:<level name>`` (area); ``array:<part>`` (clock).

The public functions take a preset name or a Preset and resolve it once; the array models
(:mod:`~carbonspot.hardware.imc`, :mod:`~carbonspot.hardware.digital`) take the Preset.
"""

from __future__ import annotations

from carbonspot.hardware import digital, imc
from carbonspot.hardware.model import Accelerator, ImcArray
from carbonspot.presets import Preset, get_preset


def array_area_mm2(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Area breakdown of the operational array alone (mm²)."""
    return _array_area_mm2(acc, get_preset(preset))


def memory_area_mm2(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Area per memory level (mm²): one instance (original) or all replicas (corrected)."""
    return _memory_area_mm2(acc, get_preset(preset))


def accelerator_area_mm2(
    acc: Accelerator, preset: str | Preset | None = None
) -> tuple[float, dict[str, float]]:
    """Total area in mm² and its breakdown ``{"array:<part>": …, "mem:<level>": …}``."""
    return _accelerator_area_mm2(acc, get_preset(preset))


def accelerator_tclk_ns(
    acc: Accelerator, preset: str | Preset | None = None
) -> tuple[float, dict[str, float]]:
    """Clock period in ns and its breakdown ``{"array:<part>": ns}``."""
    return _accelerator_tclk_ns(acc, get_preset(preset))


def peak_energy_pj(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Array energy per cycle at full utilisation (pJ), by component."""
    return _peak_energy_pj(acc, get_preset(preset))


def macs_per_cycle(acc: Accelerator) -> float:
    """Peak MACs per cycle (IMC: WL·BL·banks·b/P_in; digital: one per PE)."""
    if isinstance(acc.array, ImcArray):
        return imc.macs_per_cycle(acc.array)
    return digital.macs_per_cycle(acc.array)


def peak_metrics(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Peak figures (carbonspot-model.md §4.8): ops = 2·MACs per cycle.

    Keys: ``macs_per_cycle``, ``energy_pj_per_cycle``, ``tclk_ns``, ``area_mm2`` (whole
    accelerator), ``array_area_mm2``, ``peak_tops``, ``peak_tops_per_w`` (array energy
    only, as the original), ``peak_tops_per_mm2`` (per whole-accelerator area) and
    ``peak_tops_per_mm2_array`` (per array area, the original's macro figure).
    """
    return _peak_metrics(acc, get_preset(preset))


# --- the same under a resolved preset (the public functions above resolve it once) ----------


def _array_area_mm2(acc: Accelerator, p: Preset) -> dict[str, float]:
    if isinstance(acc.array, ImcArray):
        return imc.area_mm2(acc.array, p)
    return digital.area_mm2(acc.array, p)


def _memory_area_mm2(acc: Accelerator, p: Preset) -> dict[str, float]:
    dims = acc.dim_sizes
    out = {}
    for m in acc.memories:
        copies = 1 if p.mem_area_once_per_level else m.replicas(dims)
        out[m.name] = m.area_mm2 * copies
    return out


def _accelerator_area_mm2(acc: Accelerator, p: Preset) -> tuple[float, dict[str, float]]:
    parts = {f"array:{k}": v for k, v in _array_area_mm2(acc, p).items()}
    parts.update({f"mem:{k}": v for k, v in _memory_area_mm2(acc, p).items()})
    return sum(parts.values()), parts


def _accelerator_tclk_ns(acc: Accelerator, p: Preset) -> tuple[float, dict[str, float]]:
    if isinstance(acc.array, ImcArray):
        bd = imc.tclk_breakdown_ns(acc.array, p)
    else:
        bd = digital.tclk_breakdown_ns(acc.array, p)
    parts = {f"array:{k}": v for k, v in bd.items()}
    return sum(parts.values()), parts


def _peak_energy_pj(acc: Accelerator, p: Preset) -> dict[str, float]:
    if isinstance(acc.array, ImcArray):
        return imc.peak_energy_pj(acc.array, p)
    return digital.peak_energy_pj(acc.array, p)


def _peak_metrics(acc: Accelerator, p: Preset) -> dict[str, float]:
    macs = macs_per_cycle(acc)
    energy = sum(_peak_energy_pj(acc, p).values())
    tclk, _ = _accelerator_tclk_ns(acc, p)
    area, _ = _accelerator_area_mm2(acc, p)
    array_area = sum(_array_area_mm2(acc, p).values())
    tops = 2 * macs / tclk / 1000
    return {
        "macs_per_cycle": macs,
        "energy_pj_per_cycle": energy,
        "tclk_ns": tclk,
        "area_mm2": area,
        "array_area_mm2": array_area,
        "peak_tops": tops,
        "peak_tops_per_w": 2 * macs / energy if energy > 0 else float("inf"),
        "peak_tops_per_mm2": tops / area if area > 0 else float("inf"),
        "peak_tops_per_mm2_array": tops / array_area if array_area > 0 else float("inf"),
    }


def describe(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, object]:
    """Everything ``carbonspot hardware show`` prints, as plain JSON-able data."""
    p = get_preset(preset)
    area, area_bd = _accelerator_area_mm2(acc, p)
    tclk, tclk_bd = _accelerator_tclk_ns(acc, p)
    peak = _peak_metrics(acc, p)
    arr = acc.array
    array_info: dict[str, object] = {
        "type": ("aimc" if arr.imc_type == "analog" else "dimc")
        if isinstance(arr, ImcArray)
        else "digital",
        "dims": dict(arr.dims),
        "input_bits": arr.input_bits,
        "weight_bits": arr.weight_bits,
    }
    if isinstance(arr, ImcArray):
        array_info.update(
            input_bits_per_cycle=arr.input_bits_per_cycle,
            adc_bits=arr.adc_bits,
            group_depth=arr.group_depth,
            wl_dim=arr.wl_dim,
            bl_dim=arr.bl_dim,
        )
    else:
        array_info.update(
            mac_energy_pj=arr.mac_energy_pj, pe_area_mm2=arr.pe_area_mm2, reduce_dim=arr.reduce_dim
        )
    dims = acc.dim_sizes
    hierarchy = [
        {
            "name": m.name,
            "kind": m.kind,
            "operands": list(m.operands),
            "size_bits": m.size_bits,
            "r_bw_bits": m.r_bw_bits,
            "w_bw_bits": m.w_bw_bits,
            "r_bw_min_bits": m.r_min_bits,
            "w_bw_min_bits": m.w_min_bits,
            "r_energy_pj": m.r_energy_pj,
            "w_energy_pj": m.w_energy_pj,
            "area_mm2_each": m.area_mm2,
            "served_dims": list(m.served_dims),
            "replicas": m.replicas(dims),
            "ports": [
                {
                    "name": pt.name,
                    "kind": pt.kind,
                    "bw_max_bits": pt.bw_max_bits,
                    "bw_min_bits": pt.bw_min_bits,
                    "allocation": [f"{o},{d}" for o, d in pt.allocation],
                }
                for pt in m.ports
            ],
        }
        for m in acc.memories
    ]
    return {
        "spec": acc.spec or acc.name,
        "name": acc.name,
        "preset": p.name,
        "array": array_info,
        "hierarchy": hierarchy,
        "area_mm2": area,
        "area_breakdown_mm2": area_bd,
        "tclk_ns": tclk,
        "tclk_breakdown_ns": tclk_bd,
        "macs_per_cycle": peak["macs_per_cycle"],
        "peak_energy_pj_per_cycle": peak["energy_pj_per_cycle"],
        "peak_energy_breakdown_pj": _peak_energy_pj(acc, p),
        "peak_tops": peak["peak_tops"],
        "peak_tops_per_w": peak["peak_tops_per_w"],
        "peak_tops_per_mm2": peak["peak_tops_per_mm2"],
        "peak_tops_per_mm2_array": peak["peak_tops_per_mm2_array"],
    }
