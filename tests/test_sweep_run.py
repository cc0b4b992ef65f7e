"""End-to-end sweep on a tiny design space: rows, geo rows, skipped and infeasible designs,
parallel = serial output."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from carbonspot.cli import main

SPACE = """\
name: tiny-test
preset: carbonspot2025
objective: edp
workloads: [ae, ds_cnn]
carbon: {dram_gb: 0.0009765625}
designs:
  - template: dimc
    params:
      sram_bytes: 8192
      dim: [32, 256]          # 256: 8192 B / (2*256) = 16 rows < 32 -> rejected, skipped
  - template: pdigital_ws
    params:
      dim: 32
      sram_bytes: 8192
      dram_gb: [0.00005, 1.0]  # 0.00005 GB (52 KB) cannot hold ae's 80 KB weight tensor
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Run the sweep twice (2 workers, then in-process) and keep both CSVs and stderr."""
    tmp = tmp_path_factory.mktemp("sweep")
    space = tmp / "space.yaml"
    space.write_text(SPACE)
    out = {}
    for jobs in (2, 1):
        csv = tmp / f"out{jobs}.csv"
        rc = main(["sweep", str(space), "--out", str(csv), "--jobs", str(jobs), "--no-progress"])
        assert rc == 0
        out[jobs] = csv
    return out


def test_rows_and_order(sweep):
    df = pd.read_csv(sweep[2])
    got = list(zip(df.acc_type, df.dim, df.dram_gb.fillna(-1), df.workload, strict=True))
    assert got == [
        ("dimc", 32, -1, "ae"),
        ("dimc", 32, -1, "ds_cnn"),
        ("dimc", 32, -1, "geo"),
        ("pdigital_ws", 32, 0.00005, "ae"),
        ("pdigital_ws", 32, 0.00005, "ds_cnn"),
        ("pdigital_ws", 32, 0.00005, "geo"),
        ("pdigital_ws", 32, 1.0, "ae"),
        ("pdigital_ws", 32, 1.0, "ds_cnn"),
        ("pdigital_ws", 32, 1.0, "geo"),
    ]
    for col in (
        "workload",
        "acc_type",
        "sram_bytes",
        "dim",
        "energy_pj",
        "latency_cycles",
        "tclk_ns",
        "area_mm2",
        "tops_per_w",
        "carbon_ca_g",
        "carbon_pa_g",
        "meets_period",
        "energy_mem_pj",
        "latency_mac_cycles",
        "area_array_mm2",
    ):
        assert col in df.columns, col
    assert (df.sram_bytes == 8192).all()


def test_geo_is_geometric_mean(sweep):
    df = pd.read_csv(sweep[2])
    for _, group in df[df.feasible].groupby(["acc_type", "dim", "dram_gb"], dropna=False):
        rows, geo = group[group.workload != "geo"], group[group.workload == "geo"]
        if geo.empty:
            continue
        g = geo.iloc[0]
        for col in ("energy_pj", "latency_cycles", "tops_per_w", "carbon_ca_g", "carbon_pa_g"):
            expect = math.exp(sum(math.log(v) for v in rows[col]) / len(rows))
            assert g[col] == pytest.approx(expect, rel=1e-9), col
        assert g.area_mm2 == pytest.approx(rows.area_mm2.iloc[0])
        assert g.meets_period == rows.meets_period.all()
    assert (df[df.workload == "geo"].feasible == [True, False, True]).all()


def test_infeasible_design_recorded(sweep):
    df = pd.read_csv(sweep[2])
    bad = df[(df.acc_type == "pdigital_ws") & (df.dram_gb == 0.00005)]
    ae, ds, geo = (bad[bad.workload == w].iloc[0] for w in ("ae", "ds_cnn", "geo"))
    assert not ae.feasible and "W" in ae.reason and math.isnan(ae.energy_pj)
    assert ds.feasible and ds.energy_pj > 0  # the sweep went on with the next workload
    assert not geo.feasible and "ae" in geo.reason


def test_parallel_equals_serial_bytes(sweep):
    assert Path(sweep[2]).read_bytes() == Path(sweep[1]).read_bytes()


def test_summary_counts_skipped(tmp_path, capsys):
    space = tmp_path / "s.yaml"
    space.write_text(
        "workloads: [ae]\npreset: carbonspot2025\n"
        "designs: {template: dimc, params: {sram_bytes: 8192, dim: [32, 256, 512]}}\n"
    )
    rc = main(["sweep", str(space), "--out", str(tmp_path / "o.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0
    assert "1 of 3 designs evaluated, 2 skipped" in err
    df = pd.read_csv(tmp_path / "o.csv")
    assert list(df.workload) == ["ae"]  # one workload: no geo row


def test_all_designs_rejected_is_an_error(tmp_path, capsys):
    space = tmp_path / "s.yaml"
    space.write_text(
        "workloads: [ae]\ndesigns: {template: dimc, params: {sram_bytes: 8192, dim: 1024}}\n"
    )
    rc = main(["sweep", str(space), "--out", str(tmp_path / "o.csv"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "designs[0]" in err[0] and "rows" in err[0]
