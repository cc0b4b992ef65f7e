"""`carbonspot report` on real sources: a small sweep CSV and a small study (real cost model)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from carbonspot.cli import main
from carbonspot.report import select_designs
from carbonspot.report import write as report_write
from carbonspot.report.sources import load_source

SWEEP = {
    "name": "tiny-report",
    "preset": "corrected",
    "objective": "edp",
    "workloads": ["ae", "ds_cnn"],
    "designs": [
        {"template": ["dimc", "pdigital_os"], "params": {"sram_bytes": 32768, "dim": 32}},
    ],
}


@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory) -> str:
    """A sweep CSV written by `carbonspot sweep` on 2 tiny designs x 2 workloads."""
    folder = tmp_path_factory.mktemp("sweep")
    spec = folder / "tiny.yaml"
    spec.write_text(yaml.safe_dump(SWEEP))
    csv = folder / "results.csv"
    rc = main(["sweep", str(spec), "--out", str(csv), "--jobs", "1", "--no-progress"])
    assert rc == 0
    return str(csv)


def test_real_sweep_selections_match_the_csv(sweep_csv) -> None:
    rows = pd.read_csv(sweep_csv)
    geo = rows[rows["workload"] == "geo"].reset_index(drop=True)
    assert len(geo) == 2
    ds = load_source(sweep_csv)
    picks = select_designs(ds.designs)
    ok = geo[geo["feasible"] & geo["meets_period"]]
    fastest = ok.loc[ok["latency_ns"].idxmin()]
    greenest_pa = ok.loc[ok["carbon_pa_g"].idxmin()]
    assert picks["fastest"]["acc_type"] == fastest["acc_type"]
    assert picks["fastest"]["latency_ns"] == pytest.approx(fastest["latency_ns"])
    assert picks["lowest_carbon_pa"]["acc_type"] == greenest_pa["acc_type"]


def test_real_sweep_report_draws_the_layers_of_one_design(sweep_csv, tmp_path, monkeypatch):
    # Only the per-layer figure (the other figures are covered in test_report.py; keeps it fast).
    monkeypatch.setattr(report_write, "PLOTS", ())
    out = tmp_path / "rep"
    assert main(["report", sweep_csv, "--out", str(out), "--layers-of", "fastest"]) == 0
    index = (out / "index.md").read_text()
    assert "](per_layer.png)" in index
    # the re-evaluation reproduces the CSV's workload totals, so no mismatch is reported
    assert "re-evaluated with preset corrected" in index
    assert "differ from the source" not in index
    assert (out / "per_layer.png").stat().st_size > 10_000


STUDY = {
    "name": "report-test",
    "preset": "corrected",
    "objective": "edp",
    "workloads": ["ae"],
    "variables": {"template": ["dimc", "pdigital_os"], "dim": [32, 64]},
    "params": {"sram_bytes": 32768},
    "objectives": {"latency": "minimize", "energy": "minimize", "carbon_ca": "minimize"},
    "solver": "grid",
    "n_trials": 4,
    "seed": 0,
}


def _run_study(folder, data) -> str:
    from carbonspot.search.files.study_file import load_study_file
    from carbonspot.search.session import StudySession

    path = folder / "studies" / f"{data['name']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    storage = folder / "store.journal"
    session = StudySession(load_study_file(path), storage_url=str(storage))
    session.run()
    return str(storage)


def test_study_report_has_selections_and_hypervolume(tmp_path, monkeypatch, capsys) -> None:
    storage = _run_study(tmp_path, STUDY)
    ds = load_source("report-test", storage=storage)
    assert ds.kind == "study" and len(ds.designs) == 4 and len(ds.history) == 4
    assert [c for c, _ in ds.objectives] == ["latency_ns", "energy_pj", "carbon_ca_g"]
    picks = select_designs(ds.designs)
    assert picks["fastest"]["latency_ns"] == pytest.approx(ds.designs["latency_ns"].min())
    # breakdowns come from the trial's per-workload attributes
    assert ds.designs["carbon_ca_operational_g"].notna().all()
    monkeypatch.setattr(report_write, "PLOTS", ())
    out = tmp_path / "rep"
    rc = main(["report", "report-test", "--storage", storage, "--out", str(out), "--no-layers"])
    assert rc == 0
    assert "study report-test: 4 designs, 4 feasible" in capsys.readouterr().out
    assert "](hypervolume.png)" in (out / "index.md").read_text()


def test_all_infeasible_and_unknown_studies_exit_2(tmp_path, capsys) -> None:
    data = dict(STUDY, name="too-small", constraints={"max_area_mm2": 1e-9})
    storage = _run_study(tmp_path, data)
    assert main(["report", "too-small", "--storage", storage, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no feasible design" in err and "4 violate a constraint" in err
    assert main(["report", "nope", "--storage", storage, "--out", str(tmp_path / "o")]) == 2
    assert "no study named 'nope'" in capsys.readouterr().err
    missing = str(tmp_path / "none.journal")
    assert main(["report", "nope", "--storage", missing, "--out", str(tmp_path / "o")]) == 2
    assert "no study storage" in capsys.readouterr().err


def test_empty_study_exits_2_and_study_pareto_selection(tmp_path, capsys) -> None:
    import optuna

    from carbonspot.report.study_source import select_in_study
    from carbonspot.search.storage import open_storage

    storage = _run_study(tmp_path, STUDY)
    store = open_storage(storage)
    optuna.create_study(study_name="empty", storage=store, directions=["minimize"] * 2)
    assert main(["report", "empty", "--storage", storage, "--out", str(tmp_path / "e")]) == 2
    assert "has no designs" in capsys.readouterr().err
    # the selection `carbonspot study pareto` shows: same designs as the report, with trials
    study = optuna.load_study(study_name="report-test", storage=store)
    sel, table, sentences = select_in_study(study)
    fastest = min(study.trials, key=lambda t: t.values[0])
    assert table.loc["fastest", "trial"] == fastest.number
    assert sel["fastest"]["latency_ns"] == pytest.approx(fastest.values[0])
    assert set(table.index) >= {"fastest", "lowest_carbon_ca", "knee"}
    assert sentences and sentences[0].startswith("Under CA")
