"""Accelerator-level hardware figures: area, clock period and peak metrics with breakdowns.

Area (carbonspot-model.md §3.2, §4.9): array (PEs + adder trees, or IMC macros incl. their
cell arrays) plus every memory level. The original counts one instance per memory level; the
corrected preset (``mem_area_once_per_level`` off) counts every replica (registers per PE,
ZigZag's ``unroll_count``, carbonspot-model.md §13 item 6). DRAM has area 0. Memory areas are
the ones stored in the levels (built under the accelerator's preset).

Clock: the array's critical path (IMC macro, or 5 ns + WS adder tree); memories are assumed
not to limit it, as in the original.

Breakdown keys: ``array:<part>`` and ``mem:<level name>`` (area); ``array:<part>`` (clock).
"""

from __future__ import annotations

from carbonspot.models import digital, imc
from carbonspot.models.hardware import Accelerator, ImcArray
from carbonspot.models.presets import Preset, get_preset


def array_area_mm2(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Area breakdown of the operational array alone (mm²)."""
    if isinstance(acc.array, ImcArray):
        return imc.area_mm2(acc.array, preset)
    return digital.area_mm2(acc.array, preset)


def memory_area_mm2(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Area per memory level (mm²): one instance (original) or all replicas (corrected)."""
    p = get_preset(preset)
    dims = acc.dim_sizes
    out = {}
    for m in acc.memories:
        copies = 1 if p.mem_area_once_per_level else m.replicas(dims)
        out[m.name] = m.area_mm2 * copies
    return out


def accelerator_area_mm2(
    acc: Accelerator, preset: str | Preset | None = None
) -> tuple[float, dict[str, float]]:
    """Total area in mm² and its breakdown ``{"array:<part>": …, "mem:<level>": …}``."""
    parts = {f"array:{k}": v for k, v in array_area_mm2(acc, preset).items()}
    parts.update({f"mem:{k}": v for k, v in memory_area_mm2(acc, preset).items()})
    return sum(parts.values()), parts


def accelerator_tclk_ns(
    acc: Accelerator, preset: str | Preset | None = None
) -> tuple[float, dict[str, float]]:
    """Clock period in ns and its breakdown ``{"array:<part>": ns}``."""
    if isinstance(acc.array, ImcArray):
        bd = imc.tclk_breakdown_ns(acc.array, preset)
    else:
        bd = digital.tclk_breakdown_ns(acc.array, preset)
    parts = {f"array:{k}": v for k, v in bd.items()}
    return sum(parts.values()), parts


def peak_energy_pj(acc: Accelerator, preset: str | Preset | None = None) -> dict[str, float]:
    """Array energy per cycle at full utilisation (pJ), by component."""
    if isinstance(acc.array, ImcArray):
        return imc.peak_energy_pj(acc.array, preset)
    return digital.peak_energy_pj(acc.array, preset)


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
    macs = macs_per_cycle(acc)
    energy = sum(peak_energy_pj(acc, preset).values())
    tclk, _ = accelerator_tclk_ns(acc, preset)
    area, _ = accelerator_area_mm2(acc, preset)
    array_area = sum(array_area_mm2(acc, preset).values())
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
