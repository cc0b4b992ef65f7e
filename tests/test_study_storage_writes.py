"""Whole-trial journal writes: one append per claim batch and per finished trial, still the
one-key records any optuna reads, and no completed trial lost when a process is SIGKILLed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import optuna
import pytest
import study_problem
from optuna.distributions import CategoricalDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from carbonspot.search import storage as st
from carbonspot.search.files.study_file import load_study_file
from carbonspot.search.session import StudySession

HERE = Path(__file__).resolve().parent


def _template(key: str) -> FrozenTrial:
    return FrozenTrial(
        number=-1,
        state=TrialState.RUNNING,
        value=None,
        values=None,
        datetime_start=datetime.now(),
        datetime_complete=None,
        params={"d1": 16},
        distributions={"d1": CategoricalDistribution([8, 16])},
        user_attrs={"design_key": key},
        system_attrs={st.WORKER_ATTR: {"pid": os.getpid()}},
        intermediate_values={},
        trial_id=-1,
    )


def _stock(path: Path) -> JournalStorage:
    """The journal as optuna itself reads it (what the dashboard sees)."""
    return JournalStorage(JournalFileBackend(str(path)))


def _appends(monkeypatch, storage) -> list[int]:
    """Records per append of ``storage`` (one entry per write to the file)."""
    counts: list[int] = []
    original = storage._backend.append_logs

    def counting(logs):
        counts.append(len(logs))
        return original(logs)

    monkeypatch.setattr(storage._backend, "append_logs", counting)
    return counts


def test_claims_and_results_are_one_append_each_and_stock_readable(tmp_path, monkeypatch):
    path = tmp_path / "s.journal"
    storage = st.open_storage(str(path))
    study = optuna.create_study(study_name="w", storage=storage, directions=["minimize"] * 2)
    other = st.open_storage(str(path))  # another process's view, creating trials in between
    other_study = optuna.load_study(study_name="w", storage=other)
    appends = _appends(monkeypatch, storage)

    first = st.create_running_trials(storage, study._study_id, [_template("a"), _template("b")])
    other_study.ask()
    second = st.create_running_trials(storage, study._study_id, [_template("c")])
    assert appends == [2, 1]
    assert [n for _, n in first + second] == [0, 1, 3]
    for (tid, _), key in zip(first + second, "abc", strict=True):
        assert storage.get_trial(tid).user_attrs["design_key"] == key

    appends.clear()
    tid = first[1][0]
    st.finish_trial(
        storage,
        tid,
        TrialState.COMPLETE,
        [1.5, float("inf")],
        {"metrics": {"energy_pj": 2.0}, "feasible": True},
        {"constraints:feasible": 0.0, "constraints:max_area_mm2": -0.5},
    )
    assert appends == [5]  # 2 user attrs + 2 constraints + the state, in one write
    for reader in (storage, _stock(path)):
        t = reader.get_trial(tid)
        assert t.state == TrialState.COMPLETE and t.values == [1.5, float("inf")]
        assert t.user_attrs == {"design_key": "b", "metrics": {"energy_pj": 2.0}, "feasible": True}
        assert t.system_attrs["constraints:max_area_mm2"] == -0.5
        assert t.datetime_complete is not None
    frozen = optuna.load_study(study_name="w", storage=_stock(path)).trials[1]
    assert frozen.constraints == {"feasible": 0.0, "max_area_mm2": -0.5}


def test_finishing_a_trial_another_process_finished_raises_once(tmp_path):
    path = tmp_path / "s.journal"
    storage = st.open_storage(str(path))
    study = optuna.create_study(study_name="w", storage=storage)
    [(tid, _)] = st.create_running_trials(storage, study._study_id, [_template("a")])
    other = st.open_storage(str(path))
    other.set_trial_state_values(tid, TrialState.FAIL)  # e.g. failed as stale meanwhile
    with pytest.raises(UpdateFinishedTrialError):
        st.finish_trial(storage, tid, TrialState.COMPLETE, [1.0], {"a": 1, "b": 2}, {"c": 3})
    # every rejected record was replayed: the storage works on
    assert storage.get_trial(tid).state == TrialState.FAIL
    [(tid2, _)] = st.create_running_trials(storage, study._study_id, [_template("b")])
    st.finish_trial(storage, tid2, TrialState.COMPLETE, [2.0])
    assert [t.state for t in _stock(path).get_all_trials(study._study_id)] == [
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]


def test_a_torn_last_record_is_cut_before_the_next_append(tmp_path):
    path = tmp_path / "s.journal"
    storage = st.open_storage(str(path))
    study = optuna.create_study(study_name="w", storage=storage)
    [(tid, _)] = st.create_running_trials(storage, study._study_id, [_template("a")])
    st.finish_trial(storage, tid, TrialState.COMPLETE, [1.0])
    with path.open("ab") as f:  # a writer killed inside write()
        f.write(b'{"op_code":8,"worker_id":"x","trial_id":0,"user_attr":{"k":')
    resumed = st.open_storage(str(path))  # a torn *last* line is skipped by the reader
    [(tid2, _)] = st.create_running_trials(resumed, study._study_id, [_template("b")])
    st.finish_trial(resumed, tid2, TrialState.COMPLETE, [2.0])
    assert path.read_bytes().endswith(b"\n")
    trials = _stock(path).get_all_trials(study._study_id)  # would fail on a torn middle line
    assert [(t.state, t.values) for t in trials] == [
        (TrialState.COMPLETE, [1.0]),
        (TrialState.COMPLETE, [2.0]),
    ]


def _complete(path: Path, name: str) -> dict[int, tuple[str, dict]]:
    try:
        study = optuna.load_study(study_name=name, storage=_stock(path))
    except KeyError:  # not created yet
        return {}
    return {
        t.number: (t.user_attrs["design_key"], t.user_attrs["metrics"])
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    }


@pytest.mark.parametrize("solver", ["grid", "nsga2"])
def test_repeated_sigkill_loses_no_completed_trial(tmp_path, solver):
    """Kill the study at random moments (mid-claim, mid-evaluation, mid-write) three times;
    every trial COMPLETE before a kill is still COMPLETE with the same design and metrics."""
    budget = 40
    name = f"kill_{solver}"
    spec_path = study_problem.write_study(tmp_path, name, solver, budget)
    journal = tmp_path / "k.journal"
    cmd = [sys.executable, str(HERE / "study_problem.py"), str(spec_path), str(journal), "0"]
    rng = random.Random(7)
    seen: dict[int, tuple[str, dict]] = {}
    for _ in range(3):
        proc = subprocess.Popen([*cmd, "0.04"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        target = len(seen) + rng.randint(3, 7)
        deadline = time.monotonic() + 60
        while not journal.exists() or len(_complete(journal, name)) < target:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        now = _complete(journal, name)
        assert all(now.get(n) == v for n, v in seen.items())  # nothing lost or changed
        seen = now
    assert len(seen) < budget
    spec = load_study_file(spec_path)
    out = StudySession(spec, str(journal), study_problem.metrics).run()
    final = _complete(journal, name)
    assert all(final.get(n) == v for n, v in seen.items())
    assert len(final) == budget == out.n_complete
    assert len({k for k, _ in final.values()}) == budget  # no design completed twice
    assert out.n_evaluated == budget - len(seen)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
@pytest.mark.parametrize("solver", ["grid", "optuna-tpe"])
def test_rdb_storages_get_the_same_trials(tmp_path, solver):
    """Not a journal (here SQLite): the same writes, one call each."""
    spec = load_study_file(study_problem.write_study(tmp_path, "rdb", solver, 6))
    url = f"sqlite:///{tmp_path / 'rdb.db'}"
    out = StudySession(spec, url, study_problem.metrics).run()
    assert out.n_complete == 6
    study = optuna.load_study(study_name="rdb", storage=url)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 6
    for t in complete:
        assert set(t.user_attrs) >= {"design_key", "design", "feasible", "metrics", "workloads"}
        assert set(t.constraints) == {"feasible", "max_area_mm2"}
        assert t.datetime_complete is not None and len(t.values) == 3
