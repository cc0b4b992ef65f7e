"""Hardware models against the original's published numbers (carbonspot-model.md §3-§5)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonspot.errors import InputError
from carbonspot.hardware import digital, imc, memory
from carbonspot.hardware import figures as cost_hw
from carbonspot.hardware.model import ImcArray
from carbonspot.hardware.readers import load_accelerator
from carbonspot.hardware.templates import build_template
from carbonspot.presets import PRESETS

# the array and memory models take a resolved Preset (figures take names too)
ORIG, CORR = PRESETS["carbonspot2025"], PRESETS["corrected"]

DATA = Path(__file__).resolve().parent / "data"
CALIBRATION = DATA / "carbonspot2025_tiny_calibration.csv"


def _calibration_rows() -> list[dict[str, str]]:
    with CALIBRATION.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_calibration_area_and_tclk_all_rows() -> None:
    # every configuration of the published tiny-suite results, within 1 %
    rows = _calibration_rows()
    assert len(rows) == 208
    worst = 0.0
    for r in rows:
        spec = f"{r['acc_type'].lower()}:dim={r['dim']},sram_bytes={r['sram_bytes']}"
        acc = load_accelerator(spec, "carbonspot2025")
        area, bd = cost_hw.accelerator_area_mm2(acc, "carbonspot2025")
        tclk, _ = cost_hw.accelerator_tclk_ns(acc, "carbonspot2025")
        mem = sum(v for k, v in bd.items() if k.startswith("mem:"))
        for got, want in (
            (area, float(r["area_mm2"])),
            (tclk, float(r["tclk_ns"])),
            (mem, float(r["area_mem_mm2"])),
        ):
            worst = max(worst, abs(got / want - 1))
    assert worst < 0.01


# carbonspot-model.md §4.8 reference macro table: (type, d, area, tclk, E_peak, TOP/s/W, w_cost)
MACRO_TABLE = [
    ("aimc", 32, 0.08681, 6.61184, 109.69, 4.668, 0.081),
    ("aimc", 64, 0.23606, 8.12892, 250.71, 8.169, 0.110),
    ("aimc", 128, 0.66114, 11.00424, 583.07, 14.05, 0.177),
    ("aimc", 256, 1.91109, 16.805, 1405.5, 23.31, 0.206),
    ("aimc", 512, 5.81849, 28.87456, 3593.7, 36.47, 0.263),
    ("aimc", 1024, 18.0605, 54.31756, 9969.1, 52.59, 0.376),
    ("dimc", 32, 0.05754, 3.2026, 35.58, 7.195, 0.081),
    ("dimc", 64, 0.21954, 3.52764, 138.62, 7.387, 0.110),
    ("dimc", 128, 0.85662, 3.85268, 546.86, 7.490, 0.177),
    ("dimc", 256, 3.3783, 4.17772, 2171.8, 7.544, 0.206),
    ("dimc", 512, 13.4944, 4.50276, 8654.8, 7.572, 0.263),
    ("dimc", 1024, 53.5554, 4.8278, 34553, 7.587, 0.376),
]


@pytest.mark.parametrize(("kind", "d", "area", "tclk", "energy", "topsw", "wcost"), MACRO_TABLE)
def test_macro_table(kind, d, area, tclk, energy, topsw, wcost) -> None:
    acc = build_template(kind, {"dim": d, "sram_bytes": 1 << 24}, "carbonspot2025")
    m = imc.peak_metrics(acc.array, ORIG)
    assert m["area_mm2"] == pytest.approx(area, rel=0.01)
    assert m["tclk_ns"] == pytest.approx(tclk, rel=0.01)
    assert m["energy_pj_per_cycle"] == pytest.approx(energy, rel=0.01)
    assert m["tops_per_w"] == pytest.approx(topsw, rel=0.01)
    assert acc.memories[0].w_energy_pj == pytest.approx(wcost, abs=1e-9)


def test_macro_breakdown_d128() -> None:
    # carbonspot-model.md §4.8: tclk breakdowns at d = 128
    a = build_template("aimc", {"dim": 128}, "carbonspot2025").array
    bd = imc.tclk_breakdown_ns(a, ORIG)
    assert bd["adcs"] == pytest.approx(8.11712)
    assert bd["adders_pv"] == pytest.approx(1.8642)
    assert bd["accumulators"] == pytest.approx(0.97512)
    d = build_template("dimc", {"dim": 128}, "carbonspot2025").array
    bd = imc.tclk_breakdown_ns(d, ORIG)
    assert bd["adders"] == pytest.approx(2.82976)
    assert bd["accumulators"] == pytest.approx(0.97512)


def test_zigzag_v3_example_macros() -> None:
    # zigzag-model.md §8.4: aimc.yaml / dimc.yaml (cells area 0, ADC 8 b) under corrected delays
    a = ImcArray("analog", (("D1", 128), ("D2", 128)), 8, 8, 2, 8.0, cell_group_area_mm2=0.0)
    d = ImcArray("digital", (("D1", 128), ("D2", 128)), 8, 8, 1, 0.0, cell_group_area_mm2=0.0)
    assert imc.total_area_mm2(a, CORR) == pytest.approx(2.2878123, rel=1e-6)
    assert imc.tclk_ns(a, CORR) == pytest.approx(14.07244, rel=1e-6)
    assert sum(imc.peak_energy_pj(a, CORR).values()) == pytest.approx(851.367, rel=1e-5)
    assert imc.total_area_mm2(d, CORR) == pytest.approx(0.8018113, rel=1e-6)
    assert imc.tclk_ns(d, CORR) == pytest.approx(3.75708, rel=1e-6)
    assert sum(imc.peak_energy_pj(d, CORR).values()) == pytest.approx(546.860, rel=1e-5)


def test_sram_table_exact_and_interpolated() -> None:
    # carbonspot-model.md §5.4 full-word examples (128 KB, bw 2048; 1 MB, bw 16384)
    c = memory.sram_cost(131072 * 8, 2048, preset=ORIG)
    assert c.area_mm2 == pytest.approx(0.42166, rel=1e-4)
    assert c.r_energy_pj == pytest.approx(60.48, rel=1e-3)
    assert c.w_energy_pj == pytest.approx(67.20, rel=1e-3)
    c = memory.sram_cost(1 << 23, 16384, preset=ORIG)
    assert c.area_mm2 == pytest.approx(3.3733, rel=1e-4)
    # between rows: monotone and between the neighbours, vectorised
    rows = np.array([128.0, 181.0, 256.0])
    area = memory.sram_cost(rows * 32, 32, preset=ORIG).area_mm2
    assert area[0] < area[1] < area[2]
    # corrected: no ×2, geometric 28/32 scaling on area
    corr = memory.sram_cost(131072 * 8, 2048, preset=CORR).area_mm2
    assert corr == pytest.approx(0.42166 / 2 / 0.81 * (28 / 32) ** 2, rel=1e-4)


def test_registers_and_dram() -> None:
    r = memory.register_cost(16)
    assert r.w_energy_pj == pytest.approx(0.027216)  # §3.3 reg_O1
    assert r.area_mm2 == pytest.approx(5.894e-5, rel=1e-3)
    assert memory.dram_access_pj(1024) == pytest.approx(3788.8)


def test_partial_tree() -> None:
    # full use equals the full tree count; unused inputs lower the energy monotonically
    full = imc.adder_tree_fa_count(128, 8)
    f, h = imc.partial_tree_fa_counts(128, 8, np.array([128.0, 64.0, 3.0, 1.0]))
    assert f[0] == full and h[0] == 0
    e = digital.adder_tree_energy_pj(128, 8, np.array([128, 100, 64, 3, 1]))
    assert np.all(np.diff(e) < 0)
    # 64 of 128: one full 64-input sub-tree plus a half-active top adder
    assert f[1] == imc.adder_tree_fa_count(64, 8) and h[1] == 8 + 6


def test_digital_ws_tree_area_quirk() -> None:
    # carbonspot-model.md §3.3: d = 128 WS adds 5.056 mm², total 20.536 mm² (64-bit inputs)
    acc = build_template("pdigital_ws", {"dim": 128, "sram_bytes": 8192}, "carbonspot2025")
    assert digital.adder_tree_area_mm2(acc.array, ORIG) == pytest.approx(5.056, rel=1e-3)
    corr = digital.adder_tree_area_mm2(acc.array, CORR)
    assert corr == pytest.approx(5.056 * (128 * 17 - 24) / (128 * 65 - 72), rel=1e-3)
    assert cost_hw.accelerator_tclk_ns(acc)[0] == pytest.approx(5 + 2.92536)


def test_layer_energy_full_use_matches_peak() -> None:
    # a layer using the whole macro once per bit-serial cycle costs the peak energy per cycle
    for kind in ("aimc", "dimc"):
        arr = build_template(kind, {"dim": 64}).array
        n = arr.input_bits // arr.input_bits_per_cycle
        e = imc.layer_energy_pj(arr, 64, 64, 64, 10.0, 8, 8)
        peak = imc.peak_energy_pj(arr)
        assert sum(e.values()) == pytest.approx(10 * n * sum(peak.values()), rel=1e-9)
        # vectorised over candidates
        ev = imc.layer_energy_pj(arr, np.array([32.0, 64.0]), 64, 64, np.array([1.0, 1.0]), 8, 8)
        assert ev["mults"].shape == (2,)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("dimc:dim=100", "dim"),
        ("dimc:dim=128,sram_bytes=4096", "sram_bytes"),
        ("aimc:dim=64,foo=1", "foo"),
        ("aimc:dim=64,input_bits_per_cycle=16", "input_bits_per_cycle"),
        ("pdigital_ws:dim=abc", "dim"),
        ("dimc:dim=64,macros=0", "macros"),
    ],
)
def test_template_parameter_errors(spec: str, field: str) -> None:
    with pytest.raises(InputError) as exc:
        load_accelerator(spec)
    assert exc.value.field == field
    assert exc.value.allowed


def test_weights_on_chip_rule() -> None:
    # enable_weight_dram_removal = sram_bytes > workload weight bytes (§3.3)
    small = load_accelerator("dimc:dim=32,sram_bytes=131072", workload_weight_bytes=77360)
    big = load_accelerator("dimc:dim=32,sram_bytes=32768", workload_weight_bytes=77360)
    assert "W" in small.memories[-2].operands and "W" not in small.memories[-1].operands
    assert "W" not in big.memories[-2].operands and "W" in big.memories[-1].operands


def _reference_partial_tree(n: int, p: int, m: float) -> tuple[float, float]:
    """Scalar transcription of the halving rule of carbonspot-model.md §4.7."""
    if m >= n:
        return n * (p + 1) - (p + math.log2(n) + 1), 0.0
    full = half = 0.0
    left, base = m, n
    while left != 0:
        base /= 2
        d = int(math.log2(base))
        if left <= 1 and base == 1:
            half += p
            left = 0
        elif left > base:
            full += base * (p + 1) - (p + d + 1) + (p + d)
            left -= base
        elif left < base:
            half += p + d
        else:
            full += base * (p + 1) - (p + d + 1)
            half += p + d
            left = 0
    return full, half


@pytest.mark.parametrize("n", [2, 8, 64, 256])
def test_partial_tree_matches_scalar_rule(n: int) -> None:
    m = np.arange(1, n + 1, dtype=float)
    full, half = imc.partial_tree_fa_counts(n, 16, m)
    for i, mi in enumerate(m):
        assert (full[i], half[i]) == _reference_partial_tree(n, 16, mi)
    # never more adders than the full tree
    assert np.all(full + half <= imc.adder_tree_fa_count(n, 16) + 1e-9)


def test_sram_costs_grow_with_capacity() -> None:
    size = np.geomspace(32 * 512, 2**30, 40)
    for preset in (CORR, ORIG):
        c = memory.sram_cost(size, 512, preset=preset)
        assert np.all(np.diff(c.r_energy_pj) > 0) and np.all(np.diff(c.access_ns) > 0)
        assert np.all(np.diff(c.area_mm2) > 0)


def test_node_scaling_rule() -> None:
    # documented first-order rule: area ∝ node², energy ∝ node, time ∝ node
    a28 = memory.sram_cost(1 << 20, 1024)
    a14 = memory.sram_cost(1 << 20, 1024, node_nm=14)
    assert a14.area_mm2 == pytest.approx(a28.area_mm2 / 4)
    assert a14.r_energy_pj == pytest.approx(a28.r_energy_pj / 2)
    d28 = load_accelerator("dimc:dim=64")
    d14 = load_accelerator("dimc:dim=64,node_nm=14")
    assert imc.tclk_ns(d14.array) == pytest.approx(imc.tclk_ns(d28.array) / 2)
    assert imc.total_area_mm2(d14.array) == pytest.approx(imc.total_area_mm2(d28.array) / 4)


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(["pdigital_os", "pdigital_ws", "aimc", "dimc"]),
    log_d1=st.integers(0, 10),
    log_d2=st.integers(0, 10),
    macros=st.integers(0, 8),
    log_sram=st.integers(8, 26),
    log_bits=st.integers(0, 4),
    log_b=st.integers(0, 3),
    preset=st.sampled_from(["corrected", "carbonspot2025"]),
)
def test_any_template_input_is_costed_or_rejected(
    name, log_d1, log_d2, macros, log_sram, log_bits, log_b, preset
) -> None:
    # every parameter combination either builds a finite, positive design or is an InputError
    spec = f"{name}:d1={2**log_d1},d2={2**log_d2},macros={macros},sram_bytes={2**log_sram}"
    spec += f",input_bits={2**log_bits}"
    if name in ("aimc", "dimc"):
        spec += f",input_bits_per_cycle={2**log_b}"
    try:
        acc = load_accelerator(spec, preset)
    except InputError as exc:
        assert exc.field and exc.allowed
        return
    area, bd = cost_hw.accelerator_area_mm2(acc, preset)
    tclk, _ = cost_hw.accelerator_tclk_ns(acc, preset)
    peak = cost_hw.peak_metrics(acc, preset)
    assert 0 < area < 1e7 and 0 < tclk < 1e4
    assert all(v >= 0 for v in bd.values())
    assert all(math.isfinite(v) and v > 0 for v in peak.values())


def test_partial_tree_scalar_path_equals_vector_path():
    # The mapper calls partial_tree_fa_counts with scalars (cached path); arrays take the
    # vectorised halving. Both must give the same (full, half) counts (carbonspot-model.md §4.7).
    from carbonspot.hardware import imc

    rng = np.random.default_rng(0)
    for n in (2, 8, 32, 128, 1024):
        for p in (1, 8, 16):
            ms = np.concatenate([rng.uniform(0, 1.2 * n, 20), np.arange(0, n + 2, max(1, n // 8))])
            full_v, half_v = imc.partial_tree_fa_counts(n, p, ms)
            for m, f, h in zip(ms, full_v, half_v, strict=True):
                full_s, half_s = imc.partial_tree_fa_counts(n, p, float(m))
                assert float(full_s) == pytest.approx(f) and float(half_s) == pytest.approx(h)
