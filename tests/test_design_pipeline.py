"""One pipeline for a design: ``evaluate``, ``sweep`` and the studies give the same rows.

Regressions: a study charged each design's own ``dram_gb`` in carbon even when the study
file's ``carbon`` set ``dram_gb`` (a sweep charged the file's); sweep and study files accepted
only the suites ``tiny`` and ``mobile`` of the zoo's suites.
"""

from __future__ import annotations

import pickle

import pytest

from carbonspot import design
from carbonspot.cli._carbon_flags import CarbonFlags
from carbonspot.cli.evaluate import evaluate_record
from carbonspot.errors import InputError
from carbonspot.mapper import exhaustive
from carbonspot.search.files import study_file, sweep_file
from carbonspot.search.files.study_file import parse_study
from carbonspot.search.files.sweep_file import parse_sweep
from carbonspot.search.sweep import load_sweep_workloads, run_sweep
from carbonspot.workload.zoo import SUITES

PARAMS = {"dim": 32, "sram_bytes": 32768}
DESIGN_DRAM_GB = 0.5


def _sweep_row(carbon: dict) -> dict:
    data = {
        "workloads": ["ae"],
        "carbon": carbon,
        "designs": {"template": "dimc", "params": {**PARAMS, "dram_gb": DESIGN_DRAM_GB}},
    }
    (row,) = run_sweep(parse_sweep(data, "sweep.yaml"), jobs=1).rows
    return row


def _study_metrics(carbon: dict) -> tuple[dict, dict]:
    data = {
        "workloads": ["ae"],
        "carbon": carbon,
        "template": "dimc",
        "params": PARAMS,
        "variables": {"dram_gb": [DESIGN_DRAM_GB]},
        "objectives": ["carbon_ca", "carbon_pa"],
        "solver": "grid",
        "n_trials": 1,
    }
    spec = parse_study(data, "study.yaml")
    (trial_design,) = spec.space.grid()
    ev = spec.memo_objective().evaluate(trial_design)  # what the one trial of the study stores
    assert ev.feasible
    return ev.metrics, ev.workloads["ae"]


def _evaluate_record(carbon: dict) -> dict:
    spec = "dimc:" + ",".join(f"{k}={v}" for k, v in {**PARAMS, "dram_gb": DESIGN_DRAM_GB}.items())
    return evaluate_record(spec, "ae", carbon=CarbonFlags("corrected", dict(carbon)))


@pytest.mark.parametrize(
    ("carbon", "charged_gb"),
    [({}, DESIGN_DRAM_GB), ({"dram_gb": 1.0}, 1.0), ({"dram_mb": 2048}, 2.0)],
    ids=["design-dram", "file-dram_gb", "file-dram_mb"],
)
def test_study_sweep_and_evaluate_charge_the_same_carbon(carbon, charged_gb):
    row = _sweep_row(carbon)
    metrics, study_row = _study_metrics(carbon)
    record = _evaluate_record(carbon)
    for col in ("carbon_ca_g", "carbon_pa_g"):
        assert metrics[col] == row[col] == record[col], col
    assert study_row["carbon_ca_dram_g"] == row["carbon_ca_dram_g"]
    assert record["carbon_params"]["dram_gb"] == charged_gb


def test_file_carbon_dram_wins_over_the_designs():
    own, own_row = _study_metrics({})
    fixed, fixed_row = _study_metrics({"dram_gb": 1.0})
    # DRAM carbon is proportional to the capacity charged: 1 GB from the file, not 0.5
    assert fixed_row["carbon_ca_dram_g"] == pytest.approx(2 * own_row["carbon_ca_dram_g"])
    assert fixed["carbon_ca_g"] > own["carbon_ca_g"]


def test_the_dram_rule():
    pipeline = design.DesignPipeline.from_overrides("corrected", carbon={})
    assert pipeline.carbon_for({"dram_gb": 2}).dram_gb == 2.0
    assert pipeline.carbon_for({}) is pipeline.carbon_params
    fixed = design.DesignPipeline.from_overrides("corrected", carbon={"dram_mb": 512})
    assert fixed.carbon_fixes_dram and fixed.carbon_for({"dram_gb": 2}).dram_gb == 0.5


def test_pipeline_survives_pickling():
    pipeline = design.DesignPipeline.from_overrides(
        "corrected", "energy", "exhaustive", carbon={"grid": 100}, period_s={"ae": 0.5}
    )
    assert pickle.loads(pickle.dumps(pipeline)) == pipeline


def test_bad_pipeline_settings_are_input_errors():
    with pytest.raises(InputError, match="objective"):
        design.DesignPipeline(objective="power")
    with pytest.raises(InputError, match="mapper"):
        design.DesignPipeline(mapper="smart")


@pytest.mark.parametrize("suite", list(SUITES))
def test_every_zoo_suite_loads_in_sweep_and_study_files(suite):
    sweep = parse_sweep({"suite": suite, "designs": {"template": "dimc"}}, "s.yaml")
    assert sweep.suite == suite
    study = parse_study(
        {"suite": suite, "template": "dimc", "variables": {"d1": [8]}, "objectives": ["energy"]},
        "s.yaml",
    )
    assert study.suite == suite


def test_imagenet_suite_workloads():
    spec = parse_sweep({"suite": "imagenet", "designs": {"template": "dimc"}}, "s.yaml")
    assert [w.name for w in load_sweep_workloads(spec)] == list(SUITES["imagenet"])


def test_unknown_suite_lists_the_zoos():
    with pytest.raises(InputError) as err:
        parse_sweep({"suite": "huge", "designs": {"template": "dimc"}}, "s.yaml")
    assert err.value.field == "suite" and err.value.allowed == ", ".join(SUITES)


def test_bad_carbon_key_names_the_file():
    data = {"suite": "tiny", "template": "dimc", "variables": {"d1": [8]}}
    with pytest.raises(InputError) as err:
        parse_study({**data, "objectives": ["energy"], "carbon": {"bogus": 1}}, "x.yaml")
    assert "x.yaml: carbon" in str(err.value) and "grid" in err.value.allowed


def test_mapper_objectives_are_the_mappers():
    assert design.OBJECTIVES is exhaustive.OBJECTIVES
    assert study_file.MAPPER_OBJECTIVES is exhaustive.OBJECTIVES
    with pytest.raises(InputError) as err:
        parse_sweep({"suite": "tiny", "objective": "power", "designs": {"template": "dimc"}}, "s")
    assert err.value.allowed == ", ".join(exhaustive.OBJECTIVES)
    assert not hasattr(sweep_file, "OBJECTIVES")
