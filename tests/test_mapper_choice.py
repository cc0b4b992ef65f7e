"""The mapper (``fast`` | ``exhaustive``) is selectable everywhere and recorded in every row."""

from __future__ import annotations

import json

import optuna
import pandas as pd
import pytest
import yaml

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER, MAPPERS
from carbonspot.report.sources import design_mapper, layer_rows, sweep_frame
from carbonspot.search.attrs import SPEC_ATTR
from carbonspot.search.files.study_file import load_study_file
from carbonspot.search.files.sweep_file import load_sweep_file
from carbonspot.search.session import StudySession

ACC = "dimc:dim=16"
SWEEP = {
    "workloads": ["ae", "ds_cnn"],
    "designs": [{"template": ["dimc", "pdigital_ws"], "params": {"dim": 16}}],
}
STUDY = {
    "workloads": ["ae"],
    "template": "dimc",
    "variables": {"d1": [16, 32]},
    "params": {"d2": 16},
    "objectives": ["latency", "energy"],
    "solver": "grid",
    "n_trials": 2,
}


def _write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- evaluate --------------------------------------------------------------------------------


def test_evaluate_mapper_is_reported_and_gives_the_same_optimum(capsys):
    base = ["evaluate", "-a", ACC, "-w", "ae", "--format", "json"]
    recs = {}
    for mapper in MAPPERS:
        assert main([*base, "--mapper", mapper]) == 0
        recs[mapper] = json.loads(capsys.readouterr().out)
        assert recs[mapper]["mapper"] == mapper
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["mapper"] == DEFAULT_MAPPER == "fast"
    for key in ("energy_pj", "latency_cycles"):
        assert recs["fast"][key] == pytest.approx(recs["exhaustive"][key], rel=1e-12)
    assert main(["evaluate", "-a", ACC, "-w", "ae", "--mapper", "exhaustive"]) == 0
    assert "mapper exhaustive," in capsys.readouterr().out.splitlines()[0]


def test_evaluate_bad_mapper_is_one_clear_line_exit_2(capsys):
    assert main(["evaluate", "-a", ACC, "-w", "ae", "--mapper", "bogus"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in captured.err
    assert "--mapper" in err[0] and "bogus" in err[0]
    assert "allowed: fast, exhaustive" in err[0]


# --- sweeps ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mapper", [None, "fast", "exhaustive"])
def test_sweep_rows_record_the_mapper(tmp_path, mapper):
    data = dict(SWEEP) if mapper is None else {**SWEEP, "mapper": mapper}
    space = _write(tmp_path / "space.yaml", data)
    assert load_sweep_file(space).mapper == (mapper or "fast")
    out = tmp_path / "out.csv"
    assert main(["sweep", str(space), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    df = pd.read_csv(out)
    assert len(df) == 6 and (df["workload"] == "geo").sum() == 2
    assert (df["mapper"] == (mapper or "fast")).all()  # workload rows and geo rows


def test_sweep_rows_are_the_same_for_both_mappers(tmp_path):
    frames = {}
    for mapper in MAPPERS:
        space = _write(tmp_path / f"{mapper}.yaml", {**SWEEP, "mapper": mapper})
        out = tmp_path / f"{mapper}.csv"
        assert main(["sweep", str(space), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
        frames[mapper] = pd.read_csv(out)
    fast, exhaustive = frames["fast"], frames["exhaustive"]
    for col in ("energy_pj", "latency_cycles", "carbon_ca_g"):
        assert fast[col].to_numpy() == pytest.approx(exhaustive[col].to_numpy(), rel=1e-12)


@pytest.mark.parametrize("value", ["bogus", 3, None])
def test_bad_mapper_in_sweep_and_study_files(tmp_path, capsys, value):
    for kind, data in (("sweep", SWEEP), ("study", STUDY)):
        path = _write(tmp_path / f"{kind}.yaml", {**data, "mapper": value})
        loader = load_sweep_file if kind == "sweep" else load_study_file
        with pytest.raises(InputError) as info:
            loader(path)
        assert info.value.source == str(path) and info.value.field == "mapper"
        assert info.value.allowed == "fast, exhaustive"
        argv = (
            ["sweep", str(path), "--out", str(tmp_path / "o.csv")]
            if kind == "sweep"
            else ["study", "run", str(path), "--storage", str(tmp_path / "s.journal")]
        )
        assert main([*argv, "--no-progress"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1
        assert str(path) in err[0] and "mapper" in err[0] and "fast, exhaustive" in err[0]
    assert not (tmp_path / "o.csv").exists()


# --- studies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mapper", [None, "exhaustive"])
def test_study_records_the_mapper(tmp_path, mapper):
    data = {**STUDY, "name": f"m_{mapper}"}
    if mapper is not None:
        data["mapper"] = mapper
    expect = mapper or "fast"
    spec = load_study_file(_write(tmp_path / "study.yaml", data))
    assert spec.mapper == expect and spec.evaluator().mapper == expect
    session = StudySession(spec, str(tmp_path / "s.journal"))
    session.run()
    study = optuna.load_study(study_name=spec.name, storage=session.storage)
    assert study.user_attrs[SPEC_ATTR]["mapper"] == expect
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 2
    for t in trials:
        assert t.user_attrs["metrics"]["mapper"] == expect
        assert t.user_attrs["workloads"]["ae"]["mapper"] == expect


def test_study_status_shows_the_mapper(tmp_path, capsys):
    data = {**STUDY, "name": "status_m", "mapper": "exhaustive", "n_trials": 1}
    spec = load_study_file(_write(tmp_path / "study.yaml", data))
    journal = str(tmp_path / "s.journal")
    StudySession(spec, journal).run()
    assert main(["study", "status", "status_m", "--storage", journal]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("mapper"))
    assert line.split()[-1] == "exhaustive"


# --- reports re-evaluate with the recorded mapper ---------------------------------------------


def _sweep_rows(mapper: str | None) -> pd.DataFrame:
    from carbonspot.design import evaluate_design
    from carbonspot.workload.zoo import load_workload

    rows = evaluate_design("dimc", {"dim": 16}, [load_workload("ae")], mapper=mapper or "fast")
    df = pd.DataFrame(rows)
    return df.drop(columns=["mapper"]) if mapper is None else df


@pytest.mark.parametrize("mapper", [None, "fast", "exhaustive"])
def test_report_re_evaluates_with_the_recorded_mapper(mapper):
    ds = sweep_frame(_sweep_rows(mapper), name="r.csv")
    design_id = ds.designs.index[0]
    assert "mapper" not in ds.params
    assert design_mapper(ds, design_id) == (mapper or "fast")  # older CSVs: fast
    layers, note = layer_rows(ds, design_id)
    assert f"mapper {mapper or 'fast'}" in note and "differ" not in note
    assert len(layers) == 10


def test_report_rejects_an_unknown_recorded_mapper():
    df = _sweep_rows("fast")
    df["mapper"] = "bogus"
    ds = sweep_frame(df, name="r.csv")
    with pytest.raises(InputError) as info:
        design_mapper(ds, ds.designs.index[0])
    assert info.value.field == "mapper" and info.value.source == "r.csv"
