"""A SIGINT or SIGTERM during a study: trials in flight are marked interrupted (FAIL with
``carbonspot:interrupted``), counted apart from failures by ``status``, ``pareto``, ``export``
and the dashboard; the exit message says what was kept and how to resume; running again
resumes.

Run as a script, this module drives ``run_study`` on the analytic problem of
``study_problem.py`` (``python tests/test_study_interrupt.py STUDY.yaml STORAGE JOBS SLEEP_S``),
so a test can signal a run with worker processes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import optuna
import pytest
from optuna.trial import TrialState

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import study_problem  # noqa: E402

from carbonspot.cli import main  # noqa: E402
from carbonspot.search import attrs  # noqa: E402
from carbonspot.search import storage as st  # noqa: E402
from carbonspot.search.files.study_file import load_study_file  # noqa: E402
from carbonspot.search.runner import RunInterrupted, interrupt_signals, run_study  # noqa: E402
from carbonspot.search.spec import StudySpec  # noqa: E402

CLI = [sys.executable, "-m", "carbonspot"]
REAL = """name: intr
workloads: [ds_cnn]
variables:
  template: [pdigital_ws, pdigital_os, dimc]
  d1: {pow2: [8, 64]}
  d2: {pow2: [8, 64]}
objectives: [latency, energy, carbon_ca]
solver: grid
n_trials: 48
"""


def _trials(journal: Path, name: str):
    storage = st.open_storage(str(journal), retry_stale=False)
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)


def _interrupted(trials) -> list:
    return [t for t in trials if t.state == TrialState.FAIL and t.user_attrs.get(attrs.INTERRUPTED)]


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


class Interrupting:
    """The analytic metrics, raising ``RunInterrupted(signal)`` at the ``at``-th design."""

    def __init__(self, at: int, signal_name: str) -> None:
        self.at, self.signal_name, self.calls = at, signal_name, 0

    def __call__(self, design):
        self.calls += 1
        if self.calls == self.at:
            raise RunInterrupted(self.signal_name)
        return study_problem.metrics(design)


@pytest.mark.parametrize("solver", ["grid", "nsga2", "optuna-tpe"])
def test_a_simulated_interrupt_marks_the_trial_in_flight_and_a_rerun_resumes(
    tmp_path, monkeypatch, solver
):
    name = f"s_{solver.replace('-', '_')}"
    path = study_problem.write_study(tmp_path, name, solver, 12)
    spec = load_study_file(path)
    journal = tmp_path / f"{name}.journal"
    metrics = Interrupting(6, "SIGTERM")
    original = StudySpec.memo_objective
    monkeypatch.setattr(StudySpec, "memo_objective", lambda self, fn=None: original(self, metrics))

    with pytest.raises(RunInterrupted) as info:
        run_study(spec, str(journal))
    exc = info.value
    assert exc.signal_name == "SIGTERM" and exc.storage_url == str(journal)
    trials = _trials(journal, name)
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    stopped_all = _interrupted(trials)  # the design in evaluation and the rest of its batch
    assert exc.n_complete == 5 and exc.n_interrupted == len(stopped_all) >= 1
    assert not [t for t in trials if t.state == TrialState.FAIL and t not in stopped_all]
    stopped = stopped_all[0]
    assert stopped.user_attrs[attrs.INTERRUPTED] == "SIGTERM"
    assert "interrupted by SIGTERM" in stopped.user_attrs[attrs.FAILED_REASON]
    kept = {t.number: t.user_attrs["design_key"] for t in trials if t.state == TrialState.COMPLETE}
    assert len(kept) == 5

    # readers tell interrupted trials from failures
    code, out, _ = _cli("study", "status", name, "--storage", str(journal))
    assert code == 0 and "trials interrupted" in out and "trials fail " not in out
    code, out, _ = _cli("study", "pareto", name, "--storage", str(journal))
    assert code == 0 and f"{len(stopped_all)} interrupted trial(s)" in out and "0 failed" in out
    csv_path = tmp_path / "t.csv"
    assert _cli("study", "export", name, "--storage", str(journal), "--csv", str(csv_path))[0] == 0
    rows = {int(r["number"]): r for r in csv.DictReader(csv_path.open())}
    assert rows[stopped.number]["state"] == "FAIL"
    assert rows[stopped.number]["interrupted"] == "SIGTERM"
    numbers = {t.number for t in stopped_all}
    assert all(r["interrupted"] == "" for n, r in rows.items() if n not in numbers)
    storage = st.open_storage(str(journal), retry_stale=False)
    from optuna_dashboard import wsgi

    environ: dict = {}
    setup_testing_defaults(environ)
    study_id = storage.get_study_id_from_name(name)
    environ["PATH_INFO"] = f"/api/studies/{study_id}"
    detail = json.loads(b"".join(wsgi(storage)(environ, lambda *a: None)))
    shown = next(t for t in detail["trials"] if t["number"] == stopped.number)
    assert shown["state"] == "Fail"
    assert {"key": attrs.INTERRUPTED, "value": "SIGTERM"} in shown["user_attrs"]
    assert "Interrupted" in shown["note"]["body"]

    # running again resumes: every completed trial kept, the budget reached
    monkeypatch.setattr(
        StudySpec, "memo_objective", lambda self, fn=None: original(self, study_problem.metrics)
    )
    again = run_study(spec, str(journal))
    assert again.outcome.n_complete == 12
    trials = _trials(journal, name)
    done = {t.number: t.user_attrs["design_key"] for t in trials if t.state == TrialState.COMPLETE}
    assert all(done[n] == k for n, k in kept.items())
    assert len(_interrupted(trials)) == len(stopped_all)
    assert not [t for t in trials if t.state == TrialState.FAIL and t not in _interrupted(trials)]


class Signalling:
    """The analytic metrics, sending this process ``signum`` during the ``at``-th design."""

    def __init__(self, at: int, signum: int) -> None:
        self.at, self.signum, self.calls = at, signum, 0

    def __call__(self, design):
        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), self.signum)
        return study_problem.metrics(design)


@pytest.mark.parametrize("solver", ["grid", "optuna-tpe"])
def test_a_signal_during_an_evaluation_keeps_that_evaluation(tmp_path, monkeypatch, solver):
    name = f"d_{solver.replace('-', '_')}"
    spec = load_study_file(study_problem.write_study(tmp_path, name, solver, 12))
    journal = tmp_path / f"{name}.journal"
    metrics = Signalling(4, signal.SIGTERM)
    original = StudySpec.memo_objective
    monkeypatch.setattr(StudySpec, "memo_objective", lambda self, fn=None: original(self, metrics))
    with pytest.raises(RunInterrupted) as info, interrupt_signals():
        run_study(spec, str(journal))
    assert info.value.signal_name == "SIGTERM"
    assert info.value.n_complete == 4  # the design being evaluated when the signal came is kept
    trials = _trials(journal, name)
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert len(_interrupted(trials)) == info.value.n_interrupted
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handlers are restored


def _wait_complete(journal: Path, name: str, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while True:
        if journal.exists():
            try:
                done = [t for t in _trials(journal, name) if t.state == TrialState.COMPLETE]
            except KeyError:  # the study is not created yet
                done = []
            if len(done) >= n:
                return
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_ctrl_c_during_study_run_keeps_its_trials_says_how_to_resume_and_resumes(tmp_path):
    (tmp_path / "studies").mkdir()
    path = tmp_path / "studies" / "intr.yaml"
    path.write_text(REAL)
    journal = tmp_path / "studies" / "runs" / "intr.journal"
    cmd = [*CLI, "study", "run", "studies/intr.yaml", "--no-progress", "--figures", "0"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_complete(journal, "intr", 3, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    trials = _trials(journal, "intr")
    n_done = sum(1 for t in trials if t.state == TrialState.COMPLETE)
    assert 3 <= n_done < 48
    assert f"interrupted by SIGINT: study 'intr' keeps its {n_done} completed trials" in err
    assert "Resume with: carbonspot study run studies/intr.yaml --figures 0" in err
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert all(
        t.user_attrs.get(attrs.INTERRUPTED) == "SIGINT"
        for t in trials
        if t.state == TrialState.FAIL
    )

    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "48 complete trials" in r.stdout
    r = subprocess.run(
        [*CLI, "study", "status", "intr"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "trials complete" in r.stdout and "trials fail " not in r.stdout


def test_sigterm_stops_a_run_with_worker_processes(tmp_path):
    path = study_problem.write_study(tmp_path, "w", "optuna-tpe", 400)
    journal = tmp_path / "w.journal"
    proc = subprocess.Popen(
        [sys.executable, __file__, str(path), str(journal), "2", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_complete(journal, "w", 6, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert "Traceback" not in err.decode()
    trials = _trials(journal, "w")
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    stopped = _interrupted(trials)
    assert all(t.state != TrialState.FAIL or t in stopped for t in trials)
    pids = {t.system_attrs[attrs.WORKER_ATTR]["pid"] for t in trials}
    assert len(pids) == 2  # the run's own process and its worker
    n_done = sum(1 for t in trials if t.state == TrialState.COMPLETE)
    assert out.decode().split() == [f"complete={n_done}", f"interrupted={len(stopped)}"]


def _drive(argv: list[str]) -> int:
    """Run a study of the analytic problem with ``run_study`` as the CLI does (signals on)."""
    spec_path, storage, jobs, sleep_s = argv[0], argv[1], int(argv[2]), float(argv[3])
    study_problem.SLEEP_S = sleep_s
    original = StudySpec.memo_objective
    StudySpec.memo_objective = lambda self, fn=None: original(self, study_problem.metrics)
    spec = load_study_file(spec_path)
    try:
        with interrupt_signals():
            run_study(spec, storage, jobs=jobs)
    except RunInterrupted as exc:
        print(f"complete={exc.n_complete} interrupted={exc.n_interrupted}", flush=True)
        return 128 + int(getattr(signal, exc.signal_name))
    return 0


if __name__ == "__main__":
    sys.exit(_drive(sys.argv[1:]))
