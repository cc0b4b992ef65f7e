"""Flat rows of a design: headline metrics, breakdown columns, carbon plumbing, the geo row."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carbonspot.carbon import model as carbon
from carbonspot.cost.results import WorkloadResult
from carbonspot.design import (
    GEO,
    GEO_METRICS,
    geo_row,
    geometric_mean,
    resolve_carbon_params,
    result_row,
    row_columns,
)


def _result(name: str, energy: float, cycles: float, feasible: bool = True) -> WorkloadResult:
    return WorkloadResult(
        workload=name,
        accelerator="dimc:dim=64,sram_bytes=65536",
        feasible=feasible,
        ops=2_000_000,
        energy_pj=energy,
        latency_cycles=cycles,
        tclk_ns=2.5,
        area_mm2=1.25,
        energy_breakdown_pj={
            "array": 0.25 * energy,
            "mem:sram:I": 0.5 * energy,
            "mem:dram:W": 0.25 * energy,
        },
        latency_breakdown_cycles={
            "mac_computation": 0.75 * cycles,
            "weight_loading": 0.25 * cycles,
        },
        area_breakdown_mm2={"imc_area": 1.0, "mem:sram": 0.25},
        tclk_breakdown_ns={"mac": 2.0, "adder_tree": 0.5},
        reason=None if feasible else "W larger than every memory holding it",
    )


PARAMS = {"dim": 64, "sram_bytes": 65536}


def test_geometric_mean():
    assert geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    assert geometric_mean([1.0, 10.0, 100.0]) == pytest.approx(10.0)
    assert geometric_mean([3.0, 0.0]) == 0.0
    assert math.isnan(geometric_mean([1.0, float("nan")]))
    assert math.isnan(geometric_mean([]))


def test_result_row_headline_breakdown_and_carbon():
    cp = resolve_carbon_params("carbonspot2025", {"dram_gb": 1 / 1024})
    res = _result("resnet8", energy=4.0e6, cycles=1.0e5)
    row = result_row(res, "dimc", PARAMS, 0.04, cp)
    assert row["workload"] == "resnet8" and row["acc_type"] == "dimc"
    assert row["sram_bytes"] == 65536 and row["dim"] == 64
    assert row["latency_ns"] == pytest.approx(1.0e5 * 2.5)
    assert row["tops_per_w"] == pytest.approx(2_000_000 / 4.0e6)  # ops per pJ
    assert row["tops"] == pytest.approx(2_000_000 / (2.5e5 * 1000))  # ops per ps
    assert row["tops_per_mm2"] == pytest.approx(row["tops"] / 1.25)
    # paper's bar-chart split plus every part; parts add up to the totals
    assert row["energy_array_pj"] == pytest.approx(1.0e6)
    assert row["energy_mem_pj"] == pytest.approx(3.0e6)
    assert row["energy_mem_sram_I_pj"] == pytest.approx(2.0e6)
    assert row["latency_mac_cycles"] + row["latency_stall_cycles"] == pytest.approx(1.0e5)
    assert row["area_array_mm2"] == pytest.approx(1.0)
    assert row["area_mem_mm2"] == pytest.approx(0.25)
    assert row["tclk_adder_tree_ns"] == pytest.approx(0.5)
    # carbon: the carbon model on this energy/latency/area with the 40 ms period
    ref = carbon.carbon_per_inference(4.0e6, 2.5e5, 1.25, 0.04e9, cp)
    assert row["carbon_ca_g"] == pytest.approx(float(ref["carbon_ca_g"]))
    assert row["carbon_pa_g"] == pytest.approx(float(ref["carbon_pa_g"]))
    assert row["meets_period"] is True
    assert row["period_s"] == 0.04
    parts = ("operational", "die_epa", "die_gpa", "die_mpa", "package", "dram", "ssd")
    for sc in ("ca", "pa"):
        total = sum(row[f"carbon_{sc}_{p}_g"] for p in parts)
        assert total == pytest.approx(row[f"carbon_{sc}_g"])


def test_period_too_short_flags_meets_period():
    cp = resolve_carbon_params("corrected")
    row = result_row(_result("ae", 1e6, 1e6), "dimc", PARAMS, 1e-6, cp)  # 2.5 ms > 1 us
    assert row["meets_period"] is False


def test_geo_row_is_geometric_mean_of_rows():
    cp = resolve_carbon_params("carbonspot2025")
    rows = [
        result_row(_result("a", 1.0e6, 2.0e4), "dimc", PARAMS, 1.0, cp),
        result_row(_result("b", 9.0e6, 5.0e5), "dimc", PARAMS, 0.1, cp),
        result_row(_result("c", 3.0e5, 1.0e3), "dimc", PARAMS, 1 / 25, cp),
    ]
    geo = geo_row(rows, "dimc", PARAMS)
    assert geo["workload"] == GEO and geo["feasible"] is True
    for col in GEO_METRICS:
        expect = float(np.exp(np.mean(np.log([r[col] for r in rows]))))
        assert geo[col] == pytest.approx(expect, rel=1e-12), col
    # area and clock are the design's own, not the last workload's
    assert geo["area_mm2"] == pytest.approx(1.25) and geo["tclk_ns"] == pytest.approx(2.5)
    assert geo["meets_period"] == all(r["meets_period"] for r in rows)
    assert "energy_mem_pj" not in geo  # no breakdown for geo


def test_geo_row_infeasible_when_a_workload_is():
    cp = resolve_carbon_params("corrected")
    rows = [
        result_row(_result("a", 1.0e6, 2.0e4), "dimc", PARAMS, 1.0, cp),
        result_row(_result("b", math.nan, math.nan, feasible=False), "dimc", PARAMS, 1.0, cp),
    ]
    assert rows[1]["feasible"] is False and "larger" in rows[1]["reason"]
    assert math.isnan(rows[1]["carbon_ca_g"])
    geo = geo_row(rows, "dimc", PARAMS)
    assert geo["feasible"] is False and "b" in geo["reason"]
    assert math.isnan(geo["energy_pj"])


def test_row_columns_base_first_then_first_seen():
    cp = resolve_carbon_params("corrected")
    rows = [result_row(_result("a", 1.0e6, 2.0e4), "dimc", PARAMS, 1.0, cp)]
    cols = row_columns(rows)
    assert cols[:5] == ["workload", "acc_type", "sram_bytes", "dim", "ops"]
    assert len(cols) == len(set(cols))
    assert set(rows[0]) <= set(cols)
