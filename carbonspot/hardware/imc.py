"""SRAM in-memory-computing macros (AIMC and DIMC): area, clock, peak and per-layer energy.

Formulas follow zigzag-imc as used by the original CarbonSpot (carbonspot-model.md §4) and
ZigZag v3 (zigzag-model.md §8). Symbols: WL = wordline size (columns / output channels per
macro), BL = bitline size (rows summed), banks = number of macros, P_w / P_in = weight and
input bits, b = input bits per cycle (DAC resolution), r = ADC bits, gd = cell-group depth.
Energies in pJ, areas in mm², delays in ns. Capacitances of :class:`Technology` are in pF,
so C·V² is in pJ.

Preset flags read here (carbonspot-model.md §13 item 5):

* ``aimc_acc_energy_log2_bl`` — the original charges the AIMC accumulator energy with a
  ``P_in + P_w + log2 BL`` bit width while its area uses ``P_in + P_w + r``. The corrected
  preset uses the area's width for both (as ZigZag v3, zigzag-model.md §8.4).
* ``imc_delay_zigzag_imc`` — zigzag-imc delay chains: the DIMC accumulator delay is charged
  even when there is no accumulator, the AIMC place-value ripple is ``P_w + r − 1`` carries
  and the accumulator ripples are one carry longer than ZigZag v3's. The corrected preset uses
  the ZigZag v3 chains (§8.4), which match ZigZag's own example macros.

Always fixed (a crash, not a number): the AIMC delay with ``P_w = 1`` (no place-value tree).
Not changed: the DIMC place-value output width ``p + b`` (§13 item 5 calls it a bug, but a
place-value sum of ``b`` inputs weighted 2^0..2^(b−1) really is ``p + b`` bits wide).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from carbonspot.hardware.memory import REFERENCE_NODE_NM, imc_cell_array
from carbonspot.hardware.model import ImcArray, Technology
from carbonspot.presets import CORRECTED, Preset

# --------------------------------------------------------------------------------------------
# gate-level primitives (carbonspot-model.md §4.2, zigzag-model.md §8.2)


def fa_energy_pj(tech: Technology) -> float:
    """1-bit full adder, all inputs toggling: (3·nd2_cap + 2·xor2_cap)·V²."""
    return (3 * tech.nd2_cap_pf + 2 * tech.xor2_cap_pf) * tech.vdd_v**2


def ha_energy_pj(tech: Technology) -> float:
    """Half-activated full adder (one input 0): 2·xor2_cap·V²."""
    return 2 * tech.xor2_cap_pf * tech.vdd_v**2


def mult1b_energy_pj(tech: Technology) -> float:
    """1-bit multiplier (NOR, weight static): 0.5·nd2_cap·V²."""
    return 0.5 * tech.nd2_cap_pf * tech.vdd_v**2


def dff_energy_pj(tech: Technology) -> float:
    """1-bit DFF: dff_cap·V²."""
    return tech.dff_cap_pf * tech.vdd_v**2


def fa_area_mm2(tech: Technology) -> float:
    """1-bit full adder area: 3·nd2 + 2·xor2."""
    return 3 * tech.nd2_area_mm2 + 2 * tech.xor2_area_mm2


def delays_ns(tech: Technology) -> dict[str, float]:
    """Full-adder path delays: in→sum 2·xor2, in→cout xor2 + 2·nd2, cin→cout 2·nd2."""
    return {
        "in2sum": 2 * tech.xor2_delay_ns,
        "in2cout": tech.xor2_delay_ns + 2 * tech.nd2_delay_ns,
        "cin2cout": 2 * tech.nd2_delay_ns,
        "mult": tech.nd2_delay_ns,
    }


def adder_tree_fa_count(n_inputs: int, input_bits: float) -> float:
    """1-bit FAs of a ripple-carry adder tree: N(p+1) − (p + log2 N + 1) (§4.2)."""
    depth = math.log2(n_inputs)
    return n_inputs * (input_bits + 1) - (input_bits + depth + 1)


def pv_tree_fa_count(n_inputs: int, input_bits: float) -> float:
    """1-bit FAs of a place-value adder tree: p(n−1) + n(log2 n − 0.5); 0 for n = 1 (§4.2)."""
    if n_inputs <= 1:
        return 0.0
    return input_bits * (n_inputs - 1) + n_inputs * (math.log2(n_inputs) - 0.5)


def partial_tree_fa_counts(
    n_inputs: int, input_bits: float, active_inputs: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(fully-active, half-active) FA counts of an N-input tree with ``m`` inputs in use.

    Recursive halving of carbonspot-model.md §4.7 / zigzag-model.md §8.5, vectorised over
    ``active_inputs`` (fractional ``m`` terminates as in the original).
    """
    p = float(input_bits)
    if np.ndim(active_inputs) == 0:  # the mapper's per-candidate calls: cached scalar path
        full_s, half_s = _partial_tree_fa_counts_scalar(int(n_inputs), p, float(active_inputs))
        return np.asarray(full_s), np.asarray(half_s)
    m = np.asarray(active_inputs, dtype=float)
    uniq, inv = np.unique(m, return_inverse=True)
    if len(uniq) * 4 < m.size:
        # many spatial candidates share few row counts: the cached scalar path per value
        # (bitwise the same numbers as the halving below)
        pairs = [_partial_tree_fa_counts_scalar(int(n_inputs), p, float(x)) for x in uniq]
        full_u = np.array([a for a, _ in pairs])
        half_u = np.array([b for _, b in pairs])
        return full_u[inv].reshape(m.shape), half_u[inv].reshape(m.shape)
    n_full_tree = adder_tree_fa_count(n_inputs, p)
    full = np.where(m >= n_inputs, n_full_tree, 0.0)
    half = np.zeros_like(m)
    left = np.where(m >= n_inputs, 0.0, m)
    base = float(n_inputs)
    for _ in range(128):
        alive = left != 0
        if not alive.any():
            break
        base /= 2
        d = round(math.log2(base))
        sub_full = base * (p + 1) - (p + d + 1)
        last = alive & (left <= 1) & (base == 1)
        gt = alive & ~last & (left > base)
        lt = alive & ~last & (left < base)
        eq = alive & ~last & (left == base)
        half = half + np.where(last, p, 0.0) + np.where(lt, p + d, 0.0) + np.where(eq, p + d, 0.0)
        full = full + np.where(gt, sub_full + (p + d), 0.0) + np.where(eq, sub_full, 0.0)
        left = np.where(last | eq, 0.0, np.where(gt, left - base, left))
    return full, half


@lru_cache(maxsize=4096)
def _partial_tree_fa_counts_scalar(n_inputs: int, p: float, m: float) -> tuple[float, float]:
    """Scalar twin of :func:`partial_tree_fa_counts` (same halving, plain floats)."""
    if m >= n_inputs:
        return float(adder_tree_fa_count(n_inputs, p)), 0.0
    full = half = 0.0
    left, base = m, float(n_inputs)
    for _ in range(128):
        if left == 0:
            break
        base /= 2
        d = round(math.log2(base))
        sub_full = base * (p + 1) - (p + d + 1)
        if left <= 1 and base == 1:
            half += p
            left = 0.0
        elif left > base:
            full += sub_full + (p + d)
            left -= base
        elif left < base:
            half += p + d
        else:
            full += sub_full
            half += p + d
            left = 0.0
    return full, half


def partial_tree_energy_pj(
    n_inputs: int,
    input_bits: float,
    active_inputs: float | np.ndarray,
    tech: Technology | None = None,
) -> float | np.ndarray:
    """Energy of one activation of a partially used adder tree: full·E_FA + half·E_HA (§4.7)."""
    t = tech or Technology()
    full, half = partial_tree_fa_counts(n_inputs, input_bits, active_inputs)
    out = full * fa_energy_pj(t) + half * ha_energy_pj(t)
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------------------------
# peripherals (carbonspot-model.md §4.5, zigzag-model.md §8.3); fits at 28 nm, scaled per node


def _node_scale(tech: Technology) -> float:
    return tech.node_nm / REFERENCE_NODE_NM


def adc_area_mm2(adc_bits: float, tech: Technology) -> float:
    """ADC area 10^(−0.0369 r + 1.206)·2^r µm² (0 for r ≤ 1), "validated on 3 28 nm AIMC papers"."""
    if adc_bits <= 1:
        return 0.0
    return 10 ** (-0.0369 * adc_bits + 1.206) * 2**adc_bits * 1e-6 * _node_scale(tech) ** 2


def adc_delay_ns(adc_bits: float, rows: int, tech: Technology) -> float:
    """ADC conversion time r·(0.00653·BL + 0.640) ns (BL = rows on the bitline)."""
    return adc_bits * (0.00653 * rows + 0.640) * _node_scale(tech)


def adc_energy_pj(adc_bits: float, tech: Technology) -> float:
    """ADC energy per conversion (100·r + 0.001·4^r) fF·V²."""
    return (100 * adc_bits + 0.001 * 4**adc_bits) * 1e-3 * tech.vdd_v**2 * _node_scale(tech)


def dac_energy_pj(bits: int, tech: Technology) -> float:
    """DAC energy 50 fF·b·V² per conversion, 0 for b = 1 (area and delay neglected)."""
    if bits <= 1:
        return 0.0
    return 0.05 * bits * tech.vdd_v**2 * _node_scale(tech)


# --------------------------------------------------------------------------------------------
# macro geometry helpers


def _log2_int(value: int, what: str) -> int:
    d = math.log2(value)
    if d != int(d):
        raise ValueError(f"{what} = {value} must be a power of two")
    return int(d)


def p_tree(array: ImcArray) -> int:
    """Output bits of the DIMC regular adder tree: P_w + log2 BL."""
    return array.weight_bits + _log2_int(array.bl, "bitline size")


def acc_bits(array: ImcArray, preset: Preset = CORRECTED, *, energy: bool = False) -> float:
    """Accumulator width in bits (AIMC area: P_in + P_w + r; DIMC: P_in + P_w + log2 BL).

    ``energy``: the width the energy model charges (the original: P_in + P_w + log2 BL for
    AIMC too, preset flag ``aimc_acc_energy_log2_bl``).
    """
    log2bl = _log2_int(array.bl, "bitline size")
    if array.imc_type == "digital":
        return array.input_bits + array.weight_bits + log2bl
    if energy and preset.aimc_acc_energy_log2_bl:
        return array.input_bits + array.weight_bits + log2bl
    return array.input_bits + array.weight_bits + array.adc_bits


def has_accumulator(array: ImcArray, input_bits: int | None = None) -> bool:
    """Bit-serial inputs need an accumulator unless one cycle carries all input bits."""
    return array.input_bits_per_cycle != (input_bits or array.input_bits)


# --------------------------------------------------------------------------------------------
# area (carbonspot-model.md §4.3-§4.5)


def cells_area_mm2(array: ImcArray, preset: Preset = CORRECTED) -> float:
    """Cell-array area: SRAM model of WL·BL·gd·P_w bits per macro × macros, or the override."""
    return _cells_area_mm2(array, preset)


@lru_cache(maxsize=4096)
def _cells_area_mm2(array: ImcArray, preset: Preset) -> float:
    if array.cell_group_area_mm2 is not None:
        return array.cell_group_area_mm2 * array.units
    cost = imc_cell_array(
        array.wl,
        array.bl,
        array.group_depth,
        array.weight_bits,
        preset=preset,
        node_nm=array.tech.node_nm,
        vdd_v=array.tech.vdd_v,
    )
    return float(cost.area_mm2) * array.macros


def area_mm2(array: ImcArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Area breakdown of all macros in mm² (sum = macro area).

    Keys: ``cells``, ``mults``, ``adcs``/``adders`` (AIMC/DIMC), ``dacs`` (AIMC),
    ``adders_pv``, ``accumulators``.
    """
    t = array.tech
    wl, bl, banks = array.wl, array.bl, array.macros
    pw, b = array.weight_bits, array.input_bits_per_cycle
    a_fa, a_mult, a_dff = fa_area_mm2(t), t.nd2_area_mm2, t.dff_area_mm2
    out = {"cells": cells_area_mm2(array, preset)}
    acc_count = acc_bits(array, preset) * wl * banks if has_accumulator(array) else 0.0
    if array.imc_type == "digital":
        out["mults"] = a_mult * b * pw * wl * bl * banks
        out["adders"] = a_fa * adder_tree_fa_count(bl, pw) * b * wl * banks
        if b > 1:
            _log2_int(b, "input bits per cycle")
        out["adders_pv"] = a_fa * pv_tree_fa_count(b, p_tree(array)) * wl * banks
    else:
        out["mults"] = a_mult * pw * wl * bl * banks
        out["adcs"] = adc_area_mm2(array.adc_bits, t) * pw * wl * banks
        out["dacs"] = 0.0
        if pw > 1:
            _log2_int(pw, "weight bits")
        out["adders_pv"] = a_fa * pv_tree_fa_count(pw, array.adc_bits) * wl * banks
    out["accumulators"] = acc_count * (a_fa + a_dff)
    return out


def total_area_mm2(array: ImcArray, preset: Preset = CORRECTED) -> float:
    """Total macro area in mm²."""
    return sum(area_mm2(array, preset).values())


# --------------------------------------------------------------------------------------------
# clock period (carbonspot-model.md §4.4-§4.5 for zigzag-imc, zigzag-model.md §8.4 for v3)


def tclk_breakdown_ns(array: ImcArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Critical-path parts in ns: mults, adcs (AIMC) / adders (DIMC), adders_pv, accumulators."""
    dl = delays_ns(array.tech)
    in2sum, in2cout, cin2cout = dl["in2sum"], dl["in2cout"], dl["cin2cout"]
    pw, pin, b = array.weight_bits, array.input_bits, array.input_bits_per_cycle
    legacy = preset.imc_delay_zigzag_imc
    out = {"mults": dl["mult"]}
    if array.imc_type == "digital":
        d = _log2_int(array.bl, "bitline size")
        pt = pw + d
        out["adders"] = (d - 1) * in2sum + in2cout + (pt - 2) * cin2cout
        if b > 1:
            lb = _log2_int(b, "input bits per cycle")
            pv_out = pt + b  # place-value output width (zigzag-imc and v3)
            out["adders_pv"] = (lb - 1) * in2sum + in2cout + (b - 1) * cin2cout
        else:
            pv_out = pt
            out["adders_pv"] = 0.0
        acc_out = pin + pw + d
        if legacy:
            # zigzag-imc: charged whenever the widths differ, even with no accumulator
            out["accumulators"] = (
                0.0 if acc_out == pv_out else in2cout + (acc_out - pv_out) * cin2cout
            )
        else:
            out["accumulators"] = (
                in2cout + (acc_out - pv_out - 1) * cin2cout if has_accumulator(array) else 0.0
            )
        return out
    r = array.adc_bits
    out["adcs"] = adc_delay_ns(r, array.bl, array.tech)
    if pw > 1:
        lw = _log2_int(pw, "weight bits")
        carries = (pw + r - 1) if legacy else (pw - 1)
        out["adders_pv"] = (lw - 1) * in2sum + in2cout + carries * cin2cout
        pv_out = pw + r
    else:  # no place-value tree (the original raises a NameError here)
        out["adders_pv"] = 0.0
        pv_out = r
    if has_accumulator(array):
        acc_out = pin + r + pw
        carries = pin if legacy else acc_out - pv_out - 1
        out["accumulators"] = in2cout + carries * cin2cout
    else:
        out["accumulators"] = 0.0
    return out


def tclk_ns(array: ImcArray, preset: Preset = CORRECTED) -> float:
    """Clock period of the macro in ns (sum of the critical-path parts)."""
    return sum(tclk_breakdown_ns(array, preset).values())


# --------------------------------------------------------------------------------------------
# energy


def peak_energy_pj(array: ImcArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Energy per cycle at full utilisation, no weight updates (§4.4, §4.5), breakdown in pJ."""
    t = array.tech
    wl, bl, banks = array.wl, array.bl, array.macros
    pw, b = array.weight_bits, array.input_bits_per_cycle
    e_fa, e_mult, e_dff = fa_energy_pj(t), mult1b_energy_pj(t), dff_energy_pj(t)
    acc = (
        (e_fa + e_dff) * acc_bits(array, preset, energy=True) * wl * banks
        if has_accumulator(array)
        else 0.0
    )
    if array.imc_type == "digital":
        return {
            "mults": e_mult * b * pw * wl * bl * banks,
            "adders": e_fa * adder_tree_fa_count(bl, pw) * b * wl * banks,
            "adders_pv": e_fa * pv_tree_fa_count(b, p_tree(array)) * wl * banks,
            "accumulators": acc,
            "precharging": 0.0,
        }
    return {
        "dacs": dac_energy_pj(b, t) * bl * banks,
        "analog_bitlines": t.bl_cap_pf * t.vdd_v**2 * pw * wl * bl * banks,
        "adcs": adc_energy_pj(array.adc_bits, t) * pw * wl * banks,
        "mults": e_mult * pw * wl * bl * banks,
        "adders_pv": e_fa * pv_tree_fa_count(pw, array.adc_bits) * wl * banks,
        "accumulators": acc,
        "precharging": 0.0,
    }


def macs_per_cycle(array: ImcArray) -> float:
    """Peak MACs per cycle: WL·BL·banks·b/P_in (§4.8)."""
    return array.units * array.input_bits_per_cycle / array.input_bits


def peak_metrics(array: ImcArray, preset: Preset = CORRECTED) -> dict[str, float]:
    """Macro-only peak figures (§4.8): MACs/cycle, energy/cycle, TOP/s, TOP/s/W, TOP/s/mm²."""
    macs = macs_per_cycle(array)
    e = sum(peak_energy_pj(array, preset).values())
    tclk = tclk_ns(array, preset)
    area = total_area_mm2(array, preset)
    tops = 2 * macs / tclk / 1000
    return {
        "macs_per_cycle": macs,
        "energy_pj_per_cycle": e,
        "tclk_ns": tclk,
        "area_mm2": area,
        "tops": tops,
        "tops_per_w": 2 * macs / e,
        "tops_per_mm2": tops / area,
    }


def precharge_energy_pj(array: ImcArray, precharge_count: float | np.ndarray) -> np.ndarray:
    """Precharge energy (gd > 1 only): (wl_cap·V² + bl_cap·V²·gd)·P_w per count (§4.6)."""
    t = array.tech
    if array.group_depth <= 1:
        return np.zeros_like(np.asarray(precharge_count, dtype=float))
    per = (t.wl_cap_pf + t.bl_cap_pf * array.group_depth) * t.vdd_v**2 * array.weight_bits
    return per * np.asarray(precharge_count, dtype=float)


def layer_energy_pj(
    array: ImcArray,
    mapped_cols: float | np.ndarray,
    rows_total: float | np.ndarray,
    rows_add: float | np.ndarray,
    activations: float | np.ndarray,
    layer_input_bits: int,
    layer_weight_bits: int,
    precharge_count: float | np.ndarray = 0.0,
    mapped_group_depth: int = 1,
    preset: Preset = CORRECTED,
) -> dict[str, float | np.ndarray]:
    """Macro energy of one layer in pJ, by component (carbonspot-model.md §4.4-§4.6).

    Arguments are the mapping quantities of §4.6: ``mapped_cols`` C (product of the loops on
    the wordline dim), ``rows_total`` R_tot (rows driven, incl. diagonal-mapping overlap),
    ``rows_add`` R_add (rows summed by the adder tree), ``activations`` A (MACs / mapped
    loops on WL and BL), the layer's input and weight bits (bit-serial cycles
    n = ceil(P_a/b)), and ``precharge_count`` (weight tl element moves / interval; only
    used when gd > 1). ``mapped_group_depth`` is accepted for the latency model and not used
    here. All mapping arguments accept numpy arrays (broadcast). Hardware widths (tree, ADC,
    accumulator) are the macro's; layer weights narrower than P_w use the same columns.
    """
    del mapped_group_depth, layer_weight_bits  # widths are the hardware's (§4.4: asserted equal)
    t = array.tech
    C = np.asarray(mapped_cols, dtype=float)
    R_tot = np.asarray(rows_total, dtype=float)
    R_add = np.asarray(rows_add, dtype=float)
    A = np.asarray(activations, dtype=float)
    wl, bl = array.wl, array.bl
    pw, b = array.weight_bits, array.input_bits_per_cycle
    pa = int(layer_input_bits)
    n = math.ceil(pa / b)  # bit-serial cycles
    e_fa, e_mult, e_dff = fa_energy_pj(t), mult1b_energy_pj(t), dff_energy_pj(t)
    acc_on = b != pa
    acc = (e_fa + e_dff) * acc_bits(array, preset, energy=True) * C * n * A if acc_on else 0.0 * C
    out: dict[str, float | np.ndarray]
    if array.imc_type == "digital":
        tree = partial_tree_energy_pj(bl, pw, R_add, t)
        out = {
            "mults": e_mult * (pw * b * R_tot * wl) * A * n,
            "adders": tree * C * (b * n) * A,
            "adders_pv": e_fa * pv_tree_fa_count(b, p_tree(array)) * C * n * A,
            "accumulators": acc,
        }
    else:
        out = {
            "dacs": dac_energy_pj(b, t) * R_tot * n * A,
            "analog_bitlines": t.bl_cap_pf * t.vdd_v**2 * pw * C * bl * n * A,
            "adcs": adc_energy_pj(array.adc_bits, t) * pw * C * n * A,
            "mults": e_mult * pw * (R_tot * wl) * n * A,
            "adders_pv": e_fa * pv_tree_fa_count(pw, array.adc_bits) * C * n * A,
            "accumulators": acc,
        }
    out["precharging"] = precharge_energy_pj(array, precharge_count)
    return {k: (float(v) if np.ndim(v) == 0 else v) for k, v in out.items()}
