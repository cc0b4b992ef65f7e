"""A study killed with SIGKILL halfway and started again keeps its trials and finishes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import study_problem
from optuna.trial import TrialState

from carbonspot.search.files.study_file import load_study_file
from carbonspot.search.session import StudySession

HERE = Path(__file__).resolve().parent


def _complete(session):
    return session.trials((TrialState.COMPLETE,))


@pytest.mark.parametrize("solver", ["nsga2", "optuna-tpe"])
def test_sigkill_then_resume(tmp_path, solver):
    budget = 24
    path = study_problem.write_study(tmp_path, f"k_{solver.replace('-', '_')}", solver, budget)
    journal = str(tmp_path / "k.journal")
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "study_problem.py"), str(path), journal, "0", "0.15"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    spec = load_study_file(path)
    watcher = StudySession(spec, journal, study_problem.metrics)
    deadline = time.monotonic() + 60
    while len(_complete(watcher)) < budget // 2:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {t.number: t.user_attrs["design_key"] for t in _complete(watcher)}
    assert budget // 2 <= len(before) < budget

    resumed = StudySession(spec, journal, study_problem.metrics)
    out = resumed.run()
    after = {t.number: t.user_attrs["design_key"] for t in _complete(resumed)}
    assert len(after) == budget == out.n_complete
    # every completed trial kept, no completed design evaluated again
    assert all(after.get(n) == k for n, k in before.items())
    assert len(set(after.values())) == budget
    assert out.n_evaluated == budget - len(before)
    # nothing left RUNNING; a trial killed mid-evaluation was failed as stale
    assert not resumed.trials((TrialState.RUNNING,))
    for t in resumed.trials((TrialState.FAIL,)):
        assert "stale" in t.user_attrs.get("failed_reason", "")
