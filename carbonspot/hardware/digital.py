"""Digital PE arrays: Envision-based multipliers, weight-stationary adder trees, 5 ns clock.

Sources: carbonspot-model.md §1 (constants) and §3.3 (``digital_array``, ``adder_tree_delay``,
expr.py:1863-1913), adder-tree energy §4.7 / §6.4. 28 nm values; other precisions scale the
multiplier energy and area with P_in·P_w/64 (an array multiplier's partial-product count),
other nodes scale area with (node/28)², energy with (node/28)·(V/0.9)² and delay with node/28.

Preset flags read here (carbonspot-model.md §13 item 4):

* ``ws_tree_input_bits_product`` — adder-tree inputs of P_in·P_w bits (64) instead of the
  product width P_in + P_w (16);
* ``ws_tree_count_d2`` — D2·D3 trees instead of one per reduced column (D1·D3);
* ``digital_peak_energy_omits_mac`` — peak energy/cycle = 1 pJ per MAC (the ×0.25 is missing).
"""

from __future__ import annotations

import math

import numpy as np

from carbonspot.hardware.imc import fa_area_mm2, partial_tree_energy_pj
from carbonspot.hardware.model import DigitalArray, Technology
from carbonspot.presets import CORRECTED, Preset

ENVISION_MAC_PJ = 0.25  # 28 nm FD-SOI Envision, int8 MAC (carbonspot-model.md §1)
ENVISION_PE_AREA_MM2 = 0.75 * 1.29 / 256 / 4  # 16×16 int16 array ÷ 4 for int8 = 9.4482e-4
ENVISION_TCLK_NS = 5.0  # 200 MHz
REFERENCE_BITS = 64  # 8 × 8


def _node_scale(tech: Technology) -> float:
    return tech.node_nm / 28.0


def mac_energy_pj(
    input_bits: int = 8, weight_bits: int = 8, tech: Technology | None = None
) -> float:
    """Energy of one MAC: 0.25 pJ at 8×8 b, scaled by P_in·P_w/64 and by node/voltage."""
    t = tech or Technology()
    return (
        ENVISION_MAC_PJ
        * input_bits
        * weight_bits
        / REFERENCE_BITS
        * _node_scale(t)
        * (t.vdd_v / 0.9) ** 2
    )


def pe_area_mm2(input_bits: int = 8, weight_bits: int = 8, tech: Technology | None = None) -> float:
    """Area of one PE: 9.4482e-4 mm² at 8×8 b (Envision), scaled like the energy."""
    t = tech or Technology()
    return ENVISION_PE_AREA_MM2 * input_bits * weight_bits / REFERENCE_BITS * _node_scale(t) ** 2


def tree_input_bits(array: DigitalArray, preset: Preset = CORRECTED) -> int:
    """Bits per adder-tree input: P_in + P_w (product width), or P_in·P_w in the original."""
    if preset.ws_tree_input_bits_product:
        return array.input_bits * array.weight_bits
    return array.input_bits + array.weight_bits


def adder_tree_count(array: DigitalArray, preset: Preset = CORRECTED) -> int:
    """Number of adder trees: one per column reduced along ``reduce_dim`` (original: D2·D3)."""
    if array.reduce_dim is None:
        return 0
    n = array.dim_sizes[array.reduce_dim]
    if preset.ws_tree_count_d2:
        dims = array.dim_sizes
        return n * math.prod(s for d, s in dims.items() if d not in ("D1", "D2"))
    return array.units // n


def adder_tree_area_mm2(array: DigitalArray, preset: Preset = CORRECTED) -> float:
    """Area of the WS adder trees: A_FA·[N(p+1) − (p + log2 N + 1)]·trees (§3.3)."""
    if array.reduce_dim is None:
        return 0.0
    n = array.dim_sizes[array.reduce_dim]
    p = tree_input_bits(array, preset)
    depth = math.log2(n)
    fas = n * (p + 1) - (p + depth + 1)
    return fa_area_mm2(array.tech) * fas * adder_tree_count(array, preset)


def adder_tree_delay_ns(n_inputs: int, out_bits: int = 16, tech: Technology | None = None) -> float:
    """Ripple adder-tree delay (expr.py:1897-1913): (log2 N − 1)·2·xor2 + (xor2 + 2·nd2)
    + (p_out − 2)·2·nd2; the original passes p_out = 16. d = 128 gives 2.92536 ns."""
    t = tech or Technology()
    if n_inputs <= 1:
        return 0.0
    return (
        (math.log2(n_inputs) - 1) * 2 * t.xor2_delay_ns
        + (t.xor2_delay_ns + 2 * t.nd2_delay_ns)
        + (out_bits - 2) * 2 * t.nd2_delay_ns
    )


def adder_tree_energy_pj(
    n_inputs: int,
    input_bits: float,
    active_inputs: float | np.ndarray,
    tech: Technology | None = None,
) -> float | np.ndarray:
    """Energy of one activation of an ``n_inputs``-input tree with ``active_inputs`` in use.

    Partially-activated tree of carbonspot-model.md §4.7 (also used by the digital cost
    model, §6.4, with p = output partial-sum bits). Vectorised over ``active_inputs``.
    """
    return partial_tree_energy_pj(n_inputs, input_bits, active_inputs, tech)


def area_mm2(array: DigitalArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Array area breakdown: ``pes`` (multipliers/PEs) and ``adder_trees`` (WS only)."""
    return {
        "pes": array.pe_area_mm2 * array.units,
        "adder_trees": adder_tree_area_mm2(array, preset),
    }


def tclk_breakdown_ns(array: DigitalArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Clock period parts: ``mac`` (array clock) and ``adder_tree`` (WS reduction delay).

    No preset flag changes the digital clock; ``preset`` keeps the signature of the IMC model.
    """
    del preset
    extra = 0.0
    if array.reduce_dim is not None:
        n = array.dim_sizes[array.reduce_dim]
        extra = adder_tree_delay_ns(n, array.input_bits + array.weight_bits, array.tech)
    return {"mac": array.tclk_ns, "adder_tree": extra}


def tclk_ns(array: DigitalArray, preset: Preset = CORRECTED) -> float:
    """Clock period in ns."""
    return sum(tclk_breakdown_ns(array, preset).values())


def peak_energy_pj(array: DigitalArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Energy per cycle at full use: MACs (+ full adder trees for WS), pJ."""
    if preset.digital_peak_energy_omits_mac:
        return {"macs": float(array.units), "adder_trees": 0.0}
    trees = 0.0
    if array.reduce_dim is not None:
        n = array.dim_sizes[array.reduce_dim]
        per_tree = adder_tree_energy_pj(n, array.input_bits + array.weight_bits, n, array.tech)
        trees = float(per_tree) * (array.units // n)
    return {"macs": array.mac_energy_pj * array.units, "adder_trees": trees}


def macs_per_cycle(array: DigitalArray) -> float:
    """Peak MACs per cycle: one per PE."""
    return float(array.units)
