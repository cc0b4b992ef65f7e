"""`carbonspot report`: selections on a front with a known answer, files written, empty sources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.report import compare, select, select_designs
from carbonspot.report import write as report_write
from carbonspot.report.design_set import fill_breakdowns
from carbonspot.report.sources import load_source, sweep_frame

OPS = 100.0
# A front with a known answer. Objectives (latency, CA carbon):
#   A (1, 10), B (2, 2), C (10, 1) are non-dominated; D (5, 5) is dominated by B.
#   Normalised, A = (0, 1), B = (1/9, 1/9), C = (1, 0): B lies farthest below the line
#   through the extremes (x + y = 1), so B is the knee.
#   E is better than everything but infeasible; F too but misses its deadline.
FRONT = [
    # name, latency_ns, energy_pj, carbon_ca_g, carbon_pa_g, feasible, meets_period
    ("A", 1.0, 30.0, 10.0, 5.0, True, True),
    ("B", 2.0, 20.0, 2.0, 3.0, True, True),
    ("C", 10.0, 40.0, 1.0, 1.0, True, True),
    ("D", 5.0, 10.0, 5.0, 2.0, True, True),
    ("E", 0.5, 1.0, 0.5, 0.5, False, True),
    ("F", 0.8, 1.0, 0.8, 0.8, True, False),
]


def front_frame(rows=FRONT) -> pd.DataFrame:
    recs = []
    for name, lat, en, ca, pa, feas, meets in rows:
        recs.append(
            {
                "design": name,
                "acc_type": "dimc" if name in "ABC" else "aimc",
                "dim": 32 * (1 + "ABCDEF".index(name)),
                "latency_ns": lat,
                "latency_cycles": lat / 2.0,
                "tclk_ns": 2.0,
                "energy_pj": en,
                "area_mm2": 1.0,
                "tops_per_w": OPS / en,
                "carbon_ca_g": ca,
                "carbon_pa_g": pa,
                # parts: operational 50 %, die 30 %, package 15 %, DRAM 5 %
                "carbon_ca_operational_g": 0.5 * ca,
                "carbon_ca_die_epa_g": 0.2 * ca,
                "carbon_ca_die_mpa_g": 0.1 * ca,
                "carbon_ca_package_g": 0.15 * ca,
                "carbon_ca_dram_g": 0.05 * ca,
                "carbon_pa_operational_g": 0.5 * pa,
                "carbon_pa_die_epa_g": 0.3 * pa,
                "carbon_pa_package_g": 0.15 * pa,
                "carbon_pa_dram_g": 0.05 * pa,
                "feasible": feas,
                "meets_period": meets,
            }
        )
    df = pd.DataFrame(recs).set_index("design", drop=False)
    df.attrs["params"] = ["acc_type", "dim"]
    df.attrs["objectives"] = [("latency_ns", "min"), ("carbon_ca_g", "min")]
    return df


def test_selections_on_a_known_front() -> None:
    df = front_frame()
    sel = select_designs(df)
    picked = {role: row["design"] for role, row in sel.items()}
    assert picked == {
        "fastest": "A",  # E and F are faster but not eligible
        "highest_tops_per_w": "D",
        "lowest_energy": "D",
        "lowest_carbon_ca": "C",
        "lowest_carbon_pa": "C",
        "knee": "B",
    }


def test_comparison_table_ratios_breakdown_and_sentence() -> None:
    df = front_frame()
    table = compare(df)
    assert list(table.index) == [
        "fastest",
        "highest_tops_per_w",
        "lowest_energy",
        "lowest_carbon_ca",
        "lowest_carbon_pa",
        "knee",
    ]
    assert table.loc["knee", "latency_ns_vs_fastest"] == pytest.approx(2.0)
    assert table.loc["lowest_carbon_ca", "carbon_ca_g_vs_fastest"] == pytest.approx(0.1)
    assert table.loc["fastest", "dim"] == 32
    # Grouped breakdown adds up to the total; die = epa + mpa.
    row = table.loc["knee"]
    assert row["carbon_ca_die_g"] == pytest.approx(0.3 * 2.0)
    parts = [row[f"carbon_ca_{g}_g"] for g in ("operational", "die", "package", "dram")]
    assert sum(parts) == pytest.approx(row["carbon_ca_g"])
    sentences = select.summary_sentences(table)
    assert "costs 10× latency and saves 90% carbon" in sentences[0]
    assert sentences[0].startswith("Under CA")
    assert "saves 80% carbon" in sentences[1]


def test_maximised_objective_and_ties_are_deterministic() -> None:
    df = front_frame()
    df.attrs["objectives"] = [("latency_ns", "min"), ("tops_per_w", "max")]
    # two designs equally fast: the tie goes to the better TOP/s/W (the second objective)
    df.loc["B", "latency_ns"] = 1.0
    sel = select.select_indices(df)
    assert sel["fastest"] == "B"  # 100/20 TOP/s/W beats A's 100/30


def test_empty_and_all_infeasible_raise_plain_errors() -> None:
    with pytest.raises(InputError, match="no designs"):
        select_designs(front_frame()[0:0])
    bad = front_frame([r[:5] + (False, True) for r in FRONT])
    with pytest.raises(InputError, match="no feasible design.*6 infeasible"):
        select_designs(bad)


# --------------------------------------------------------------------------------------------
# sweep CSVs with the sweep's documented columns


def sweep_rows(feasible: bool = True) -> pd.DataFrame:
    """4 designs x 2 workloads + geo rows, with the sweep's columns (docs of issue 5)."""
    rows = []
    designs = [
        ("dimc", 32768, 32),
        ("dimc", 131072, 64),
        ("pdigital_os", 32768, 32),
        ("aimc", 131072, 128),
    ]
    for k, (acc, sram, dim) in enumerate(designs):
        per = []
        for w, scale in (("ae", 1.0), ("ds_cnn", 4.0)):
            lat_ns = scale * 1000.0 / (k + 1) ** 2
            energy = scale * 1e5 * (1 + 0.5 * k)
            area = 0.1 * 4**k
            ca = 1e-10 * (1 + k) * scale
            pa = 1e-7 / (1 + k) * scale
            r = {
                "workload": w,
                "acc_type": acc,
                "sram_bytes": sram,
                "dim": dim,
                "ops": 1e6 * scale,
                "energy_pj": energy,
                "latency_cycles": lat_ns / 5.0,
                "tclk_ns": 5.0,
                "latency_ns": lat_ns,
                "area_mm2": area,
                "tops_per_w": 1e6 * scale / energy,
                "tops": 1e6 * scale / (lat_ns * 1e3),
                "tops_per_mm2": 1e6 * scale / (lat_ns * 1e3) / area,
                "feasible": feasible,
                "reason": "" if feasible else "no mapping fits",
                "period_s": 0.1,
                "meets_period": True,
                "carbon_ca_g": ca,
                "carbon_pa_g": pa,
                "carbon_ca_operational_g": 0.7 * ca,
                "carbon_ca_die_epa_g": 0.2 * ca,
                "carbon_ca_package_g": 0.1 * ca,
                "carbon_ca_dram_g": 0.0,
                "carbon_pa_operational_g": 0.1 * pa,
                "carbon_pa_die_epa_g": 0.6 * pa,
                "carbon_pa_package_g": 0.3 * pa,
                "carbon_pa_dram_g": 0.0,
                "energy_array_pj": 0.4 * energy,
                "energy_mem_pj": 0.6 * energy,
                "latency_mac_cycles": 0.9 * lat_ns / 5.0,
                "latency_stall_cycles": 0.1 * lat_ns / 5.0,
                "area_array_mm2": 0.8 * area,
                "area_mem_mm2": 0.2 * area,
            }
            per.append(r)
        rows += per
        geo = {
            c: per[0][c]
            for c in (
                "acc_type",
                "sram_bytes",
                "dim",
                "tclk_ns",
                "area_mm2",
                "period_s",
                "meets_period",
                "feasible",
            )
        }
        geo["workload"] = "geo"
        geo["reason"] = ""
        for c in (
            "ops",
            "energy_pj",
            "latency_cycles",
            "latency_ns",
            "tops_per_w",
            "tops",
            "tops_per_mm2",
            "carbon_ca_g",
            "carbon_pa_g",
        ):
            geo[c] = math.sqrt(per[0][c] * per[1][c])
        rows.append(geo)
    return pd.DataFrame(rows)


def test_geo_rows_get_a_breakdown_that_adds_up() -> None:
    ds = sweep_frame(sweep_rows(), name="s.csv")
    assert ds.workload == "geo" and len(ds.designs) == 4
    assert ds.params == ["acc_type", "sram_bytes", "dim"]
    d = ds.designs
    parts = d[
        [
            "carbon_ca_operational_g",
            "carbon_ca_die_epa_g",
            "carbon_ca_package_g",
            "carbon_ca_dram_g",
        ]
    ].sum(axis=1)
    np.testing.assert_allclose(parts, d["carbon_ca_g"], rtol=1e-12)
    # every workload has the same 70 % operational share
    np.testing.assert_allclose(d["carbon_ca_operational_g"], 0.7 * d["carbon_ca_g"], rtol=1e-12)
    again = fill_breakdowns(d, ds.per_workload)  # idempotent: filled rows are left alone
    pd.testing.assert_frame_equal(again, d)


def test_report_cli_writes_table_plots_and_index(tmp_path, capsys) -> None:
    csv = tmp_path / "results.csv"
    sweep_rows().to_csv(csv, index=False)
    out = tmp_path / "rep"
    assert main(["report", str(csv), "--out", str(out), "--no-layers"]) == 0
    printed = capsys.readouterr().out
    assert "4 designs, 4 feasible" in printed
    assert "carbon-optimal design" in printed
    expected = [
        "pareto_pairs.png",
        "pareto_3d.png",
        "carbon_ca_vs_pa.png",
        "carbon_breakdown.png",
        "performance_bars.png",
        "per_workload.png",
    ]
    index = (out / "index.md").read_text()
    for name in expected:
        img = imread(out / name)
        assert img.shape[0] > 300 and img.shape[1] > 300
        assert f"]({name})" in index
    table = pd.read_csv(out / "comparison.csv", index_col=0)
    # design k has latency 1/(k+1)^2, CA carbon (1+k), PA carbon 1/(1+k): the last is fastest
    # and PA-greenest, the first is CA-greenest and lowest in energy.
    assert table.loc["fastest", "acc_type"] == "aimc"
    assert table.loc["lowest_carbon_pa", "acc_type"] == "aimc"
    assert table.loc["lowest_carbon_ca", "dim"] == 32
    assert table.loc["lowest_carbon_ca", "acc_type"] == "dimc"
    assert table.loc["lowest_energy", "sram_bytes"] == 32768
    assert (out / "comparison.txt").read_text().startswith("sweep results.csv: 4 designs")


def test_report_html_and_one_workload(tmp_path, monkeypatch) -> None:
    # One figure is enough here (all of them are drawn in the test above); keeps the suite fast.
    monkeypatch.setattr(report_write, "PLOTS", report_write.PLOTS[2:3])
    csv = tmp_path / "results.csv"
    sweep_rows().to_csv(csv, index=False)
    out = tmp_path / "rep"
    rc = main(
        [
            "report",
            str(csv),
            "--out",
            str(out),
            "--format",
            "html",
            "--workload",
            "ae",
            "--no-layers",
        ]
    )
    assert rc == 0
    page = (out / "index.html").read_text()
    assert '<img src="carbon_ca_vs_pa.png"' in page and "workload ae" in page
    ds = load_source(str(csv), workload="ae")
    assert set(ds.designs["workload"]) == {"ae"}


def test_report_on_empty_or_all_infeasible_sweep_exits_2(tmp_path, capsys) -> None:
    empty = tmp_path / "empty.csv"
    sweep_rows().iloc[0:0].to_csv(empty, index=False)
    assert main(["report", str(empty), "--out", str(tmp_path / "a")]) == 2
    assert "has no designs" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    sweep_rows(feasible=False).to_csv(bad, index=False)
    assert main(["report", str(bad), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "no feasible design" in err and "4 infeasible" in err
    assert not (tmp_path / "b").exists()


def test_report_rejects_unknown_workload_and_missing_file(tmp_path, capsys) -> None:
    csv = tmp_path / "results.csv"
    sweep_rows().to_csv(csv, index=False)
    assert main(["report", str(csv), "--out", str(tmp_path / "o"), "--workload", "nope"]) == 2
    assert "allowed: ae, ds_cnn, geo" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
