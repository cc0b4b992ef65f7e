"""The dashboard as an inspection tool: what a finished run shows through optuna-dashboard.

A real study (the cost model on two MLPerf-Tiny networks) is run once by ``carbonspot study run``;
optuna-dashboard's own WSGI app then serves its storage in-process and the tests read its JSON
API, as the browser does: trial notes with the carbon split, numeric (sortable) user
attributes, the study note with the report's comparison, and the figures as artifacts.
"""

from __future__ import annotations

import io
import json
import math
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import optuna
import pytest
from optuna.artifacts import FileSystemArtifactStore
from optuna_dashboard import wsgi
from optuna_dashboard._note import get_note_from_system_attrs

from carbonspot.cli import main
from carbonspot.report.study_notes import annotate_study, figure_trials
from carbonspot.search import attrs, notes
from carbonspot.search import storage as st
from carbonspot.search.objective import Evaluation
from carbonspot.search.pareto import study_hypervolume

STUDY = """name: dash
workloads: [ae, ds_cnn]
template: dimc
variables:
  d1: {pow2: [16, 32]}
  d2: {pow2: [16, 32]}
objectives: [latency, energy, carbon_ca, carbon_pa]
solver: grid
n_trials: 4
"""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """(project folder, journal, artifact folder, stdout) of one finished run."""
    root = tmp_path_factory.mktemp("dash")
    (root / "studies").mkdir()
    spec = root / "studies" / "dash.yaml"
    spec.write_text(STUDY)
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main(["study", "run", str(spec), "--no-progress"]) == 0
    journal = root / "studies" / "runs" / "dash.journal"
    return root, journal, root / "studies" / "runs" / "dash.artifacts", out.getvalue()


def _get(app, path: str) -> tuple[str, bytes]:
    """GET ``path`` from a WSGI app: (status line, body)."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"], _, environ["QUERY_STRING"] = path.partition("?")
    got: dict = {}

    def start_response(status, headers, exc_info=None):
        got["status"] = status

    body = b"".join(app(environ, start_response))
    return got["status"], body


def _detail(journal: Path, artifacts: Path | None):
    app = wsgi(
        st.open_storage(str(journal), retry_stale=False),
        artifact_store=FileSystemArtifactStore(artifacts) if artifacts else None,
    )
    status, body = _get(app, "/api/studies")
    assert status.startswith("200")
    [summary] = json.loads(body)["study_summaries"]
    status, body = _get(app, f"/api/studies/{summary['study_id']}")
    assert status.startswith("200")
    return app, summary["study_id"], json.loads(body)


def test_the_api_returns_notes_numeric_attributes_and_artifacts(run):
    _, journal, artifacts, stdout = run
    assert "dashboard: study note and figures of" in stdout
    app, study_id, detail = _detail(journal, artifacts)

    # axis names of the dashboard's plots: the objectives with their units
    assert detail["objective_names"] == ["latency_ns", "energy_pj", "carbon_ca_g", "carbon_pa_g"]

    # numeric user attributes: sortable columns of the trial table
    sortable = {a["key"] for a in detail["union_user_attrs"] if a["sortable"]}
    assert set(attrs.NUMERIC_ATTRS) <= sortable
    assert {"metrics", "workloads", "design"} <= {a["key"] for a in detail["union_user_attrs"]}
    trials = detail["trials"]
    assert len(trials) == 4
    for t in trials:
        ua = {a["key"]: a["value"] for a in t["user_attrs"]}
        assert math.isclose(float(ua["carbon_ca_g"]), json.loads(ua["metrics"])["carbon_ca_g"])
        op, emb = float(ua["carbon_pa_operational_g"]), float(ua["carbon_pa_embodied_g"])
        assert op > 0 and emb > 0 and math.isclose(op + emb, float(ua["carbon_pa_g"]))
        # the operational carbon does not depend on the scenario
        assert math.isclose(op, float(ua["carbon_ca_operational_g"]))
        # the trial note: design, headline metrics with units, carbon split, per workload
        body = t["note"]["body"]
        assert t["note"]["version"] == 1
        for text in (
            "**dimc**",
            "Per inference",
            "ns",
            "pJ",
            "Carbon split",
            "operational",
            "embodied",
            "CA (continuous-active)",
            "PA (periodically-active)",
            "Per workload",
            "| ae |",
            "| ds_cnn |",
        ):
            assert text in body, text

    # the study note: the report's comparison with the ratios
    note = detail["note"]["body"]
    assert "most performant (lowest latency)" in note
    assert "most carbon-efficient under CA" in note and "most carbon-efficient under PA" in note
    assert "latency ×" in note and "Under PA" in note

    # artifacts: the study's figures and those of the Pareto-front trials
    assert {a["filename"] for a in detail["artifacts"]} == {
        "comparison_carbon_breakdown.png",
        "pareto_pairs.png",
    }
    with_figures = [t for t in trials if t["artifacts"]]
    assert with_figures
    front = {t["number"] for t in detail["best_trials"]}
    for t in with_figures:
        assert t["number"] in front
        assert {a["filename"] for a in t["artifacts"]} == {
            "carbon_breakdown.png",
            "per_workload.png",
        }
        a = t["artifacts"][0]
        status, png = _get(app, f"/artifacts/{study_id}/{t['trial_id']}/{a['artifact_id']}")
        assert status.startswith("200") and png.startswith(PNG_MAGIC)
    a = detail["artifacts"][0]
    status, png = _get(app, f"/artifacts/{study_id}/{a['artifact_id']}")
    assert status.startswith("200") and png.startswith(PNG_MAGIC)


def test_carbonspot_dashboard_serves_the_artifacts_beside_the_journal(run):
    root, journal, artifacts, _ = run
    _, study_id, detail = _detail(journal, None)  # ids only
    t = next(t for t in detail["trials"] if t["artifacts"])
    path = f"/artifacts/{study_id}/{t['trial_id']}/{t['artifacts'][0]['artifact_id']}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "carbonspot", "dashboard", "dash", "--port", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    assert r.status == 200 and r.read().startswith(PNG_MAGIC)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.3)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in err.decode()  # loopback by default
    assert str(artifacts) in err.decode()


def test_a_rerun_with_the_same_front_draws_nothing_again(run):
    _, journal, artifacts, _ = run
    storage = st.open_storage(str(journal), retry_stale=False)
    study = optuna.load_study(study_name="dash", storage=storage)
    before = figure_trials(study)
    files = sorted(p.name for p in artifacts.iterdir())
    again = annotate_study(study, artifacts)
    assert again.drawn == 0 and again.trials == len(before)
    assert figure_trials(study) == before
    assert sorted(p.name for p in artifacts.iterdir()) == files
    # one figure per front trial at most: the others lose theirs, and their files go
    fewer = annotate_study(study, artifacts, max_trials=1)
    assert fewer.trials == 1 and len(figure_trials(study)) == 1
    assert len(list(artifacts.iterdir())) == len(files) - 2 * (len(before) - 1)
    _, _, detail = _detail(journal, artifacts)
    assert sum(1 for t in detail["trials"] if t["artifacts"]) == 1
    annotate_study(study, artifacts)  # back as the run left it
    assert len(figure_trials(study)) == len(before)


def test_status_prints_a_hypervolume_share_of_at_most_one(run):
    root, journal, _, _ = run
    storage = st.open_storage(str(journal), retry_stale=False)
    size, share = study_hypervolume(optuna.load_study(study_name="dash", storage=storage))
    assert size >= 1 and 0.0 < share <= 1.0
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main(["study", "status", str(root / "studies" / "dash.yaml")]) == 0
    text = out.getvalue()
    assert "hypervolume share (0-1)" in text and "ideal point" in text
    assert "hypervolume (normalised)" not in text


def test_a_single_design_fills_the_hypervolume_box(tmp_path):
    storage = st.open_storage(str(tmp_path / "one.journal"))
    study = optuna.create_study(study_name="one", storage=storage, directions=["minimize"] * 3)
    study.add_trial(optuna.trial.create_trial(values=[1.0, 2.0, 3.0]))
    assert study_hypervolume(study) == (1, pytest.approx(1.0))


def _evaluation(workloads: dict, feasible: bool = True) -> Evaluation:
    totals = {
        f"carbon_{s}_g": math.exp(
            sum(math.log(w[f"carbon_{s}_g"]) for w in workloads.values()) / len(workloads)
        )
        for s in ("ca", "pa")
    }
    return Evaluation(
        key="k",
        design={"template": "dimc", "d1": 16},
        values=[1.0],
        constraints={"feasible": 0.0 if feasible else 1.0},
        feasible=feasible,
        reason="" if feasible else "too small",
        metrics={"latency_ns": 10.0, "energy_pj": 5.0, "tops_per_w": float("nan"), **totals},
        workloads=workloads,
    )


def _row(op: float, ca: float, pa: float) -> dict:
    return {
        "carbon_ca_g": ca,
        "carbon_pa_g": pa,
        "carbon_ca_operational_g": op,
        "carbon_pa_operational_g": op,
    }


def test_the_carbon_split_of_a_geometric_mean_and_of_one_workload():
    one = _evaluation({"a": _row(1.0, 3.0, 10.0)})
    assert attrs.carbon_split(one.metrics, one.workloads) == pytest.approx(
        {
            "carbon_ca_operational_g": 1.0,
            "carbon_ca_embodied_g": 2.0,
            "carbon_pa_operational_g": 1.0,
            "carbon_pa_embodied_g": 9.0,
        }
    )
    two = _evaluation({"a": _row(1.0, 2.0, 8.0), "b": _row(4.0, 8.0, 32.0)})
    split = attrs.carbon_split(two.metrics, two.workloads)
    assert split["carbon_ca_operational_g"] == pytest.approx(2.0)  # geometric mean of 1 and 4
    assert split["carbon_ca_embodied_g"] == pytest.approx(4.0 - 2.0)
    assert split["carbon_pa_embodied_g"] == pytest.approx(16.0 - 2.0)
    numeric = attrs.numeric_attrs(two)
    assert "tops_per_w" not in numeric  # non-finite numbers are left out
    assert numeric["latency_ns"] == 10.0 and numeric["carbon_ca_operational_g"] == 2.0
    assert attrs.numeric_attrs(_evaluation({"a": _row(1.0, 3.0, 9.0)}, feasible=False)) == {}
    assert attrs.carbon_split({"carbon_ca_g": 1.0}, {"a": {"carbon_ca_g": 1.0}}) == {}


def test_notes_are_stored_in_optuna_dashboards_format():
    body = "x" * 2045 + "y" * 10
    stored = notes.note_attrs(7, body)
    assert get_note_from_system_attrs(stored, 7) == {"version": 1, "body": body}
    assert get_note_from_system_attrs(notes.note_attrs(None, "s", version=3), None) == {
        "version": 3,
        "body": "s",
    }
    infeasible = notes.trial_note(_evaluation({"a": _row(1.0, 3.0, 9.0)}, feasible=False))
    assert "**Infeasible:** too small" in infeasible and "Carbon split" not in infeasible
