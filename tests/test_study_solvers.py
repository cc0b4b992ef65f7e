"""Every solver writes optuna trials to one storage; budgets, dedupe, constraints, resumption."""

import math

import numpy as np
import pytest
import study_problem
from optuna.trial import TrialState

from carbonspot.search.files.study_file import load_study_file
from carbonspot.search.pareto import pareto_front, pareto_mask, trial_matrix
from carbonspot.search.session import StudySession
from carbonspot.search.solvers import SOLVER_NAMES as SOLVERS


def _session(tmp_path, solver, n_trials, name=None, seed=None):
    path = study_problem.write_study(tmp_path, name or f"s_{solver}", solver, n_trials)
    spec = load_study_file(path)
    return StudySession(spec, str(tmp_path / "runs.journal"), study_problem.metrics, seed=seed)


def _complete(session):
    return session.trials((TrialState.COMPLETE,))


@pytest.mark.parametrize("solver", SOLVERS)
def test_solver_reaches_budget_without_duplicates(tmp_path, solver):
    s = _session(tmp_path, solver, 30)
    out = s.run()
    done = _complete(s)
    assert out.n_complete == len(done) == 30
    keys = [t.user_attrs["design_key"] for t in done]
    assert len(set(keys)) == len(keys)
    t = done[0]
    assert {"design", "metrics", "workloads", "feasible", "reason"} <= set(t.user_attrs)
    assert "constraints:feasible" in t.system_attrs
    assert "constraints:max_area_mm2" in t.system_attrs
    # infeasible designs: worst values and a violated constraint, never a failed trial
    for t in done:
        if not t.user_attrs["feasible"]:
            assert t.system_attrs["constraints:feasible"] > 0
            assert all(math.isinf(v) for v in t.values)
    assert not s.trials((TrialState.FAIL,))


def test_grid_front_is_the_exhaustive_front(tmp_path):
    s = _session(tmp_path, "grid", 10_000)
    out = s.run()
    assert out.n_complete == s.space_size == 5 * 5 * 3 * (1 + 4)
    front, F = pareto_front(s.study)
    # brute force over every design of the space with the analytic metrics
    designs = list(s.spec.space.grid())
    rows = []
    for d in designs:
        m = study_problem.metrics(d).summary
        if m["feasible"] and m["area_mm2"] <= 4:
            rows.append([m["latency_ns"], m["energy_pj"], m["area_mm2"]])
    R = np.array(rows)
    expected = np.unique(R[pareto_mask(R)], axis=0)
    assert np.allclose(np.unique(F, axis=0), expected)


def test_rerun_evaluates_only_new_designs(tmp_path):
    s1 = _session(tmp_path, "optuna-tpe", 12, name="again")
    s1.run()
    keys1 = {t.user_attrs["design_key"] for t in _complete(s1)}
    s2 = _session(tmp_path, "optuna-tpe", 20, name="again")
    out = s2.run()
    done = _complete(s2)
    assert len(done) == 20 and out.n_evaluated == 8
    keys2 = [t.user_attrs["design_key"] for t in done]
    assert keys1 <= set(keys2) and len(set(keys2)) == 20


def test_nsga2_checkpoint_resumes_identically(tmp_path):
    # one run of 40 vs. 24 then resumed to 40: same designs (population + RNG restored)
    full = _session(tmp_path, "nsga2", 40, name="full")
    full.run()
    part = _session(tmp_path, "nsga2", 24, name="part")
    part.run()
    ckpt = part.storage.get_study_system_attrs(part.study_id)["carbonspot:pymoo:0"]
    assert ckpt["generation"] >= 2 and len(ckpt["X"]) == 8
    resumed = _session(tmp_path, "nsga2", 40, name="part")
    out = resumed.run()
    assert out.n_evaluated == 16
    a = [t.user_attrs["design_key"] for t in _complete(full)]
    b = [t.user_attrs["design_key"] for t in _complete(resumed)]
    assert a == b


def test_trial_matrix_drops_infeasible_and_violations(tmp_path):
    s = _session(tmp_path, "grid", 40, name="m")
    s.run()
    trials, F = trial_matrix(_complete(s), ["minimize"] * 3)
    assert len(trials) == len(F) > 0
    assert np.isfinite(F).all()
    assert all(t.user_attrs["metrics"]["area_mm2"] <= 4 for t in trials)
