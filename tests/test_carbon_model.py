"""Carbon model: each formula against a hand computation, properties, and the published
per-design carbon of the original (calibration CSV)."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonspot.carbon.model import (
    CARBON_COLUMNS,
    NS_PER_YEAR,
    carbon_columns,
    carbon_per_inference,
    die_g_per_mm2_parts,
    die_yield,
    operational_g,
)
from carbonspot.carbon.params import get_carbon_params
from carbonspot.errors import InputError

DATA = Path(__file__).resolve().parent / "data"
LIFE3_NS = 3 * 365 * 24 * 3600 * 1e9  # 3 years in ns


def test_operational_is_energy_times_grid():
    # 1e6 pJ at 301 g/kWh; 1 kWh = 3.6e18 pJ (carbonspot-model.md §1)
    assert operational_g(1e6, 301.0) == pytest.approx(1e6 * 301 / 3.6e18, rel=1e-12)
    np.testing.assert_allclose(operational_g([1.0, 2.0], 480.0), [480 / 3.6e18, 960 / 3.6e18])


def test_ns_per_year():
    assert math.isclose(NS_PER_YEAR, 3.1536e16)  # expr.py:1951


def test_corrected_breakdown_by_hand():
    p = get_carbon_params("corrected")
    e, lat, a, period = 5e6, 2e4, 2.0, 1e8
    r = carbon_per_inference(e, lat, a, period, p)
    s_ca = lat / LIFE3_NS
    s_pa = period / LIFE3_NS
    y = 0.95
    # ACT 28 nm, GPA99, world grid 301 g/kWh: EPA part 301·0.9/100, GPA 100/100, MPA 500/100
    assert r["carbon_ca_operational_g"] == pytest.approx(e * 301 / 3.6e18)
    assert r["carbon_ca_die_epa_g"] == pytest.approx(a * 2.709 / y * s_ca)
    assert r["carbon_ca_die_gpa_g"] == pytest.approx(a * 1.0 / y * s_ca)
    assert r["carbon_ca_die_mpa_g"] == pytest.approx(a * 5.0 / y * s_ca)
    assert r["carbon_ca_package_g"] == pytest.approx(150 * s_ca)
    assert r["carbon_ca_dram_g"] == pytest.approx(201 / 1024 * s_ca)  # lpddr3_30nm, 1 MB
    assert r["carbon_pa_dram_g"] == pytest.approx(201 / 1024 * s_pa)  # same constant in PA
    expected_ca = e * 301 / 3.6e18 + (a * 8.709 / y + 150 + 201 / 1024) * s_ca
    expected_pa = e * 301 / 3.6e18 + (a * 8.709 / y + 150 + 201 / 1024) * s_pa
    assert r["carbon_ca_g"] == pytest.approx(expected_ca, rel=1e-12)
    assert r["carbon_pa_g"] == pytest.approx(expected_pa, rel=1e-12)
    assert r["carbon_ca_ex_pkg_g"] == pytest.approx(expected_ca - 150 * s_ca, rel=1e-12)
    parts = ("operational", "die_epa", "die_gpa", "die_mpa", "package", "dram", "ssd")
    for sc in ("ca", "pa"):
        assert sum(r[f"carbon_{sc}_{k}_g"] for k in parts) == pytest.approx(r[f"carbon_{sc}_g"])
    assert bool(r["meets_period"]) and bool(r["pa_feasible"])


def test_ssd_and_memory_yield():
    p = get_carbon_params("corrected", {"ssd": "nand_20nm", "ssd_gb": 2, "memory_yield": 0.5})
    r = carbon_per_inference(0.0, 1e6, 1.0, 1e6, p)
    s = 1e6 / LIFE3_NS
    assert r["carbon_ca_ssd_g"] == pytest.approx(2 * 15 / 0.5 * s)
    assert r["carbon_ca_dram_g"] == pytest.approx(201 / 1024 / 0.5 * s)


def test_pa_overrun_rules():
    lat, period = 3e6, 1e6  # latency three times the period
    more = get_carbon_params("corrected", {"pa_overrun": "more_chips"})
    dead = get_carbon_params("corrected", {"pa_overrun": "deadline"})
    rm = carbon_per_inference(1e3, lat, 1.0, period, more)
    rd = carbon_per_inference(1e3, lat, 1.0, period, dead)
    emb = 8.709 / 0.95 + 150 + 201 / 1024
    # more_chips: PA share = period/LT · latency/period (carbonspot-model.md §2.2)
    assert rm["carbon_pa_embodied_g"] == pytest.approx(emb * lat / LIFE3_NS)
    assert float(rm["pa_chips"]) == pytest.approx(3.0)
    assert bool(rm["pa_feasible"]) and not bool(rm["meets_period"])
    # deadline: one chip for one period, the violated deadline is flagged
    assert rd["carbon_pa_embodied_g"] == pytest.approx(emb * period / LIFE3_NS)
    assert not bool(rd["meets_period"]) and not bool(rd["pa_feasible"])


def test_nan_period_gives_nan_pa_and_no_deadline():
    r = carbon_per_inference(1e3, 1e3, 1.0, float("nan"), get_carbon_params())
    assert math.isnan(float(r["carbon_pa_g"])) and math.isfinite(float(r["carbon_ca_g"]))
    assert bool(r["meets_period"])


def test_per_op_keys():
    r = carbon_per_inference(1e6, 1e4, 1.0, 1e6, get_carbon_params(), ops=1000)
    assert r["carbon_ca_g_per_op"] == pytest.approx(r["carbon_ca_g"] / 1000)
    assert r["carbon_pa_g_per_op"] == pytest.approx(r["carbon_pa_g"] / 1000)


def test_yield_models_by_hand():
    # 100 mm² = 1 cm², D0 = 0.1 /cm²
    assert die_yield(100.0, "poisson", defect_density_per_cm2=0.1) == pytest.approx(math.exp(-0.1))
    murphy = ((1 - math.exp(-0.1)) / 0.1) ** 2
    assert die_yield(100.0, "murphy", defect_density_per_cm2=0.1) == pytest.approx(murphy)
    nb = (1 + 0.1 / 10) ** -10
    assert die_yield(100.0, "negative_binomial", defect_density_per_cm2=0.1) == pytest.approx(nb)
    assert die_yield(100.0, "negative_binomial", defect_density_per_cm2=0.1, alpha=2) == (
        pytest.approx((1 + 0.05) ** -2)
    )
    np.testing.assert_allclose(die_yield([1.0, 5.0], "fixed", yield_fixed=0.9), [0.9, 0.9])


@pytest.mark.parametrize("model", ["poisson", "murphy", "negative_binomial"])
def test_yield_models_give_one_at_zero_defects(model):
    areas = np.array([0.0, 0.01, 1.0, 100.0, 800.0])
    np.testing.assert_array_equal(die_yield(areas, model, defect_density_per_cm2=0.0), 1.0)
    # and fall with area at D0 > 0
    y = die_yield(areas, model, defect_density_per_cm2=0.2)
    assert y[0] == pytest.approx(1.0)
    assert np.all(np.diff(y) < 0) and np.all(y > 0)


def test_yield_model_divides_die_carbon():
    p = get_carbon_params("corrected", {"yield_model": "poisson", "defect_density_per_cm2": 0.5})
    r = carbon_per_inference(0.0, 1e6, 200.0, 1e6, p)
    y = math.exp(-2.0 * 0.5)
    assert float(r["yield"]) == pytest.approx(y)
    assert r["carbon_ca_die_g"] == pytest.approx(200 * 8.709 / y * 1e6 / LIFE3_NS)


def test_act_node_table_by_hand():
    p = get_carbon_params("corrected")  # ACT table, GPA99, fab grid 301
    # carbonspot-model.md §1: formula values 28: 8.709, 20: 9.712, 14: 9.862, 10: 10.940
    for node, ref in ((28, 8.709), (20, 9.712), (14, 9.862), (10, 10.940), (5, 15.5275)):
        assert sum(die_g_per_mm2_parts(node, p)) == pytest.approx(ref, abs=6e-4)
    # 7 and 3 nm with ACT's EPA 2.15/3.25 (peers-and-carbon-data.md §1.3: 13.472, 17.532)
    assert sum(die_g_per_mm2_parts(7, p)) == pytest.approx((301 * 2.15 + 200 + 500) / 100)
    assert sum(die_g_per_mm2_parts(3, p)) == pytest.approx((301 * 3.25 + 275 + 500) / 100)
    # linear interpolation: 16 nm between 20 and 14, 12 nm between 14 and 10 (§1: 9.812, 10.401)
    assert sum(die_g_per_mm2_parts(16, p)) == pytest.approx((301 * 1.2 + 120 + 500) / 100)
    assert sum(die_g_per_mm2_parts(12, p)) == pytest.approx((301 * 1.3375 + 137.5 + 500) / 100)
    # vectorised over nodes
    v = np.sum(die_g_per_mm2_parts(np.array([28.0, 20.0]), p), axis=0)
    np.testing.assert_allclose(v, [8.709, 9.712])


def test_act_preset_cpa_matches_act_defaults():
    # peers-and-carbon-data.md §1.3: Taiwan 583 g/kWh, GPA97, Y=0.875 → 1328 g/cm² at 28 nm,
    # 3163 g/cm² at 3 nm
    p = get_carbon_params("act")
    for node, ref in ((28, 1328), (20, 1542), (10, 1777), (3, 3163)):
        cpa_cm2 = sum(die_g_per_mm2_parts(node, p)) * 100 / p.yield_fixed
        assert cpa_cm2 == pytest.approx(ref, abs=1.0)


def test_carbonspot2025_table_keeps_its_quirks():
    p = get_carbon_params("carbonspot2025")
    # hard-coded values (carbonspot-model.md §1), incl. the 22/12/10 nm mismatches
    for node, ref in ((28, 8.709), (22, 9.446), (12, 10.408), (10, 10.955), (7, 11.575)):
        epa, gpa, mpa = die_g_per_mm2_parts(node, p)
        assert epa + gpa + mpa == pytest.approx(ref, rel=1e-12)
        assert mpa == pytest.approx(5.0)
    epa, gpa, _ = die_g_per_mm2_parts(28, p)
    assert (epa, gpa) == (pytest.approx(2.709), pytest.approx(1.0))


def test_node_outside_table_is_input_error():
    with pytest.raises(InputError, match="node_nm") as exc:
        carbon_per_inference(1.0, 1.0, 1.0, 1.0, get_carbon_params(), node_nm=65)
    assert "28" in str(exc.value)


def test_broadcasting_and_columns():
    p = get_carbon_params()
    energy = np.array([[1e6], [2e6]])  # 2 x 1
    area = np.array([1.0, 2.0, 3.0])  # 3
    r = carbon_per_inference(energy, 1e4, area, 1e6, p)
    assert r["carbon_ca_g"].shape == (2, 3)
    assert r["meets_period"].shape == (2, 3)
    cols = carbon_columns(energy, 1e4, area, 1e6, p)
    assert list(cols) == list(CARBON_COLUMNS)
    assert all(v.shape == (6,) for v in cols.values())


# ---------------------------------------------------------------------------------------------
# properties

_pos = st.floats(1e-3, 1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(e=_pos, lat=st.floats(1.0, 1e9), a=st.floats(1e-3, 500.0), k=st.floats(1.01, 10.0))
def test_carbon_grows_with_area_energy_and_grid(e, lat, a, k):
    period = 2e9
    p = get_carbon_params("corrected")
    base = carbon_per_inference(e, lat, a, period, p)
    more_area = carbon_per_inference(e, lat, a * k, period, p)
    more_energy = carbon_per_inference(e * k, lat, a, period, p)
    dirty = dataclasses.replace(p, grid_g_per_kwh=p.grid_g_per_kwh * k)
    more_grid = carbon_per_inference(e, lat, a, period, dirty)
    for sc in ("ca", "pa"):
        key = f"carbon_{sc}_g"
        # the totals never fall; the part that depends on the changed input strictly grows
        # (a total may not move in floating point when the other part dominates by ~1e16)
        assert more_area[key] >= base[key] and more_energy[key] >= base[key]
        assert more_grid[key] >= base[key]
        assert more_area[f"carbon_{sc}_die_gpa_g"] > base[f"carbon_{sc}_die_gpa_g"]
        assert more_energy[f"carbon_{sc}_operational_g"] > base[f"carbon_{sc}_operational_g"]
        assert more_grid[f"carbon_{sc}_operational_g"] > base[f"carbon_{sc}_operational_g"]


@settings(max_examples=60, deadline=None)
@given(e=_pos, lat=st.floats(1.0, 1e9), a=st.floats(1e-3, 500.0), extra=st.floats(0.0, 1e9))
def test_ca_not_above_pa_when_latency_within_period(e, lat, a, extra):
    p = get_carbon_params("corrected")
    r = carbon_per_inference(e, lat, a, lat + extra, p)
    assert r["carbon_ca_g"] <= r["carbon_pa_g"] * (1 + 1e-12)


# ---------------------------------------------------------------------------------------------
# the original's published per-design carbon


def _calibration_rows():
    with (DATA / "carbonspot2025_tiny_calibration.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_reproduces_published_carbon_of_calibration_rows():
    rows = _calibration_rows()
    assert len(rows) == 208
    col = {
        k: np.array([float(r[k]) for r in rows])
        for k in rows[0]
        if k not in ("suite", "workload", "acc_type", "meets_period")
    }
    p = get_carbon_params("carbonspot2025", {"dram_gb": 1 / 1024})
    res = carbon_per_inference(
        col["energy_pj"],
        col["latency_cycles"] * col["tclk_ns"],
        col["area_mm2"],
        col["pa_period_ns"],
        p,
    )
    for ours, theirs in (
        ("carbon_ca_g", "carbon_ca_g"),
        ("carbon_pa_g", "carbon_pa_g"),
        ("carbon_ca_ex_pkg_g", "carbon_ca_ex_pkg_g"),
        ("carbon_pa_ex_pkg_g", "carbon_pa_ex_pkg_g"),
        ("carbon_pa_dram_g", "carbon_dram_pa_g"),
    ):
        np.testing.assert_allclose(res[ours], col[theirs], rtol=0.01, err_msg=ours)
    published_meets = np.array([r["meets_period"] == "True" for r in rows])
    np.testing.assert_array_equal(res["meets_period"], published_meets)


def test_corrected_differs_from_published_only_by_dram_constant():
    rows = _calibration_rows()[:20]
    e = np.array([float(r["energy_pj"]) for r in rows])
    lat = np.array([float(r["latency_cycles"]) * float(r["tclk_ns"]) for r in rows])
    a = np.array([float(r["area_mm2"]) for r in rows])
    per = np.array([float(r["pa_period_ns"]) for r in rows])
    old = carbon_per_inference(e, lat, a, per, get_carbon_params("carbonspot2025"))
    new = carbon_per_inference(e, lat, a, per, get_carbon_params("corrected"))
    np.testing.assert_allclose(new["carbon_ca_die_g"], old["carbon_ca_die_g"], rtol=1e-12)
    np.testing.assert_allclose(
        new["carbon_pa_dram_g"] / old["carbon_pa_dram_g"], 201 / (200 * (28 / 30) ** 2)
    )
