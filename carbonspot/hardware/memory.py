"""Memory cost models: SRAM (CACTI-derived table), registers (DFF costs) and DRAM (pJ/bit).

No external binary: SRAM costs come from the per-32-bit-slice table of carbonspot-model.md
§5.4 (``carbonspot/data/sram_cacti_28nm.csv``), which the original obtained by running CACTI
on a 32-bit-wide array of ``R = size_bits / bw`` rows for every SRAM wider than 32 bits. A
``bw``-bit-wide memory then costs ``area = a(R)·bw/32``, ``E_r = r(R)·bw/32``,
``E_w = w(R)·bw/32`` per full word and ``t_acc = t(R)`` (carbonspot-model.md §5.1 step 3).
Between table rows we interpolate log-log (CACTI costs are close to power laws in R);
outside the table the end segments are extended the same way.

Presets (carbonspot-model.md §13 item 7):

* ``sram_area_x2`` — the original doubles every CACTI area for no stated reason. The table
  includes that factor; the corrected preset divides it out.
* ``sram_v2_factor_on_area_delay`` — the original models 28 nm as a 32 nm CACTI run times
  0.81 (= 0.9², a supply-voltage factor) on energy *and* on area and access time. The
  corrected preset keeps 0.81 on energy but scales area by the geometric (28/32)² and
  access time by 28/32.
* the linear extrapolation of wide memories from a 32-bit slice is kept by both presets:
  without CACTI there is no better-founded estimate for the periphery of very wide words.

Other technology nodes (both presets, documented rule): from the 28 nm values, area scales
with (node/28)², energy per access with (node/28)·(vdd/0.9)² (switched capacitance ∝ feature
size, E = C·V²) and access time with node/28. This first-order rule is what the original's
28→22 nm chip comparisons assume (zigzag-model.md §8.6).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from carbonspot.hardware.model import Technology
from carbonspot.paths import data_file
from carbonspot.presets import CORRECTED, Preset

SRAM_TABLE_FILE = "sram_cacti_28nm.csv"
SLICE_BITS = 32  # width of the tabulated CACTI slice (carbonspot-model.md §5.4)
V2_FACTOR_28NM = 0.81  # 0.9², the original's 32 nm -> 28 nm factor (carbonspot-model.md §5.1)
CACTI_AREA_FACTOR = 2.0  # the original's unexplained ×2 area (carbonspot-model.md §5.1)
DRAM_PJ_PER_BIT = 3.7  # carbonspot-model.md §1 (expr.py:2615)
REFERENCE_NODE_NM = 28.0
REFERENCE_VDD_V = 0.9


@dataclass(frozen=True)
class SramCost:
    """Costs of one SRAM instance: area, energy per full-word access, access time.

    Fields are floats for scalar inputs and numpy arrays for array inputs.
    """

    area_mm2: float
    r_energy_pj: float
    w_energy_pj: float
    access_ns: float


@lru_cache(maxsize=1)
def sram_table() -> dict[str, np.ndarray]:
    """The per-32-bit-slice table as float arrays keyed by column (read once, cached)."""
    path = data_file(SRAM_TABLE_FILE)
    with path.open(newline="") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    return {key: np.array([float(r[key]) for r in rows]) for key in rows[0]}


def _loglog(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Log-log interpolation with the end segments extended (power-law extrapolation)."""
    lx, lxs, lys = np.log(x), np.log(xs), np.log(ys)
    inside = np.interp(lx, lxs, lys)
    lo_slope = (lys[1] - lys[0]) / (lxs[1] - lxs[0])
    hi_slope = (lys[-1] - lys[-2]) / (lxs[-1] - lxs[-2])
    out = np.where(lx < lxs[0], lys[0] + lo_slope * (lx - lxs[0]), inside)
    out = np.where(lx > lxs[-1], lys[-1] + hi_slope * (lx - lxs[-1]), out)
    return np.exp(out)


def sram_slice(rows: float | np.ndarray) -> tuple[np.ndarray, ...]:
    """(area mm², read pJ, write pJ, access ns) of one 32-bit slice with ``rows`` rows.

    Exact at the table rows, log-log interpolated between them (carbonspot-model.md §5.4).
    """
    table = sram_table()
    r = np.asarray(rows, dtype=float)
    xs = table["rows"]
    return tuple(
        _loglog(r, xs, table[key]) for key in ("area_mm2", "read_pj", "write_pj", "access_ns")
    )


def sram_rows(size_bits: float | np.ndarray, bw_bits: float | np.ndarray) -> np.ndarray:
    """Rows of the 32-bit slices the original simulates: size/bw (carbonspot-model.md §5.1)."""
    return np.asarray(size_bits, dtype=float) / np.asarray(bw_bits, dtype=float)


def sram_cost(
    size_bits: float | np.ndarray,
    bw_bits: float | np.ndarray,
    *,
    node_nm: float = REFERENCE_NODE_NM,
    vdd_v: float = REFERENCE_VDD_V,
    preset: Preset = CORRECTED,
) -> SramCost:
    """Area, per-word read/write energy and access time of a ``bw_bits``-wide SRAM.

    ``size_bits`` is the capacity of one instance; both arguments accept numpy arrays
    (broadcast). Memories of at most 32 bits width use the same row rule (the original
    simulated them at their own width; the difference is within CACTI's slice model).
    """
    size = np.asarray(size_bits, dtype=float)
    bw = np.asarray(bw_bits, dtype=float)
    area, r_pj, w_pj, t_ns = sram_slice(sram_rows(size, bw))
    slices = bw / SLICE_BITS
    area = area * slices
    r_pj = r_pj * slices
    w_pj = w_pj * slices
    if not preset.sram_area_x2:
        area = area / CACTI_AREA_FACTOR
    if not preset.sram_v2_factor_on_area_delay:
        # undo the V² factor on area/delay, apply geometric 32 nm -> 28 nm scaling
        area = area / V2_FACTOR_28NM * (28.0 / 32.0) ** 2
        t_ns = t_ns / V2_FACTOR_28NM * (28.0 / 32.0)
    s = node_nm / REFERENCE_NODE_NM
    if s != 1.0 or vdd_v != REFERENCE_VDD_V:
        area = area * s**2
        e = s * (vdd_v / REFERENCE_VDD_V) ** 2
        r_pj, w_pj, t_ns = r_pj * e, w_pj * e, t_ns * s
    return SramCost(_scalar(area), _scalar(r_pj), _scalar(w_pj), _scalar(t_ns))


def imc_cell_array(
    wl: int,
    bl: int,
    group_depth: int,
    weight_bits: int,
    *,
    preset: Preset = CORRECTED,
    node_nm: float = REFERENCE_NODE_NM,
    vdd_v: float = REFERENCE_VDD_V,
) -> SramCost:
    """SRAM model of one IMC macro's cell array (carbonspot-model.md §4.3, §5.2).

    ``WL·BL·gd·P_w`` bits with a ``WL·P_w``-bit word, i.e. ``R = BL·gd`` rows.
    """
    size = wl * bl * group_depth * weight_bits
    return sram_cost(size, wl * weight_bits, node_nm=node_nm, vdd_v=vdd_v, preset=preset)


def imc_weight_write_pj(
    wl: int,
    bl: int,
    group_depth: int,
    weight_bits: int,
    *,
    preset: Preset = CORRECTED,
    node_nm: float = REFERENCE_NODE_NM,
    vdd_v: float = REFERENCE_VDD_V,
) -> float:
    """Energy to write one weight into the cell array: ``round(w·P_w/bw, 3)`` pJ (§5.2).

    The original rounds to 3 decimals; the corrected preset (``imc_w_cost_rounded`` off)
    keeps full precision.
    """
    cost = imc_cell_array(
        wl, bl, group_depth, weight_bits, preset=preset, node_nm=node_nm, vdd_v=vdd_v
    )
    value = float(cost.w_energy_pj) * weight_bits / (wl * weight_bits)
    return round(value, 3) if preset.imc_w_cost_rounded else value


def register_cost(bits: int | np.ndarray, tech: Technology | None = None) -> SramCost:
    """A register of ``bits`` DFFs: write = dff_cap·V²·bits, read free, area = dff_area·bits.

    carbonspot-model.md §3.3 / §5.4 (expr.py register definitions); access time 0.
    """
    t = tech or Technology()
    b = np.asarray(bits, dtype=float)
    return SramCost(
        _scalar(t.dff_area_mm2 * b),
        _scalar(0.0 * b),
        _scalar(t.dff_cap_pf * t.vdd_v**2 * b),
        _scalar(0.0 * b),
    )


@dataclass(frozen=True)
class DramType:
    """A DRAM technology: energy per bit, bandwidth and the carbon table entry it is charged as.

    ``bw_gbps`` ``None`` (the ``default`` type): the original's word of P_in·D1·D3 bits per
    cycle. ``carbon_dram`` names a row of ``carbon/memory_cps.csv`` (``None``: the carbon
    preset's DRAM). ``source`` says where each value comes from.
    """

    name: str
    pj_per_bit: float
    bw_gbps: float | None
    carbon_dram: str | None
    source: str


@lru_cache(maxsize=1)
def dram_types() -> dict[str, DramType]:
    """The DRAM types of ``carbonspot/data/dram_types.csv`` by name (``default`` first)."""
    with open(data_file("dram_types.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        r["type"]: DramType(
            name=r["type"],
            pj_per_bit=float(r["pj_per_bit"]),
            bw_gbps=float(r["bw_gbps"]) if r["bw_gbps"] else None,
            carbon_dram=r["carbon_dram"] or None,
            source=r["source"],
        )
        for r in rows
    }


def dram_access_pj(
    bw_bits: int | np.ndarray, pj_per_bit: float = DRAM_PJ_PER_BIT
) -> float | np.ndarray:
    """Energy of one full-word DRAM access: pj_per_bit·bw (carbonspot-model.md §1, 3.7 pJ/bit)."""
    return _scalar(np.asarray(bw_bits, dtype=float) * pj_per_bit)


def _scalar(x: np.ndarray | float) -> float | np.ndarray:
    arr = np.asarray(x)
    return float(arr) if arr.ndim == 0 else arr
