"""The study's small parts on their own: worker pool, stop rule, solver registry, trial attributes."""

import math

import pytest
from optuna.trial import TrialState, create_trial

from carbonspot.errors import InputError
from carbonspot.search import attrs, pool
from carbonspot.search.objective import Evaluation
from carbonspot.search.pool import WorkerPool
from carbonspot.search.solvers import SOLVER_NAMES, SOLVER_OPTIONS, Solver, solver_class
from carbonspot.search.trials import BUDGET_REACHED, Termination


def _scaled(state: dict, item: int) -> tuple[int, int]:
    return item, item * state["factor"]


def _fails_on_three(state: dict, item: int) -> int:
    if item == 3:
        raise ValueError("three")
    return item


@pytest.mark.parametrize("jobs", [1, 2])
def test_pool_maps_in_item_order_with_the_workers_state(jobs):
    with WorkerPool({"factor": 10}, jobs) as p:
        assert p.parallel == (jobs > 1)
        assert list(p.imap(_scaled, range(7))) == [(i, 10 * i) for i in range(7)]
        with pytest.raises(ValueError, match="three"):
            list(p.imap(_fails_on_three, range(5)))
    assert pool._WORKER_STATE == {}  # only worker processes hold the state
    with pytest.raises(RuntimeError):
        p.imap(_scaled, [1])


def test_termination_budget_then_exhaustion_then_cap():
    rule = Termination(budget=10, space_size=40, max_new=3)
    never = pytest.fail  # exhaustion is not asked once the budget is reached
    assert rule.reason(10, 0, never) == BUDGET_REACHED
    assert rule.reason(5, 0, lambda: True) == "all 40 designs evaluated"
    assert rule.reason(5, 3, lambda: False) == "3 new trials done"
    assert rule.reason(5, 2, lambda: False) is None
    assert Termination(budget=10).reason(9, 100, lambda: False) is None


def test_registry_names_options_and_unknown_solver():
    assert SOLVER_NAMES == ("nsga2", "optuna-nsga2", "optuna-tpe", "grid")
    assert set(SOLVER_OPTIONS) == {"pop_size", "n_startup_trials"}
    for name in SOLVER_NAMES:
        cls = solver_class(name)
        assert issubclass(cls, Solver) and cls.name == name
    assert solver_class("grid").needs_finite_space
    assert [n for n in SOLVER_NAMES if solver_class(n).uses_optuna_sampler] == [
        "optuna-nsga2",
        "optuna-tpe",
    ]
    assert solver_class("nsga2")({"pop_size": 8}, seed=0).options == {"pop_size": 8}
    with pytest.raises(InputError) as info:
        solver_class("simplex")
    assert info.value.field == "solver" and "grid" in info.value.allowed


def test_trial_attributes_written_are_parsed_back():
    ev = Evaluation(
        key='{"d1":4,"template":"dimc"}',
        design={"d1": 4, "template": "dimc"},
        values=[1.0, math.inf],
        constraints={"feasible": 1.0, "max_area_mm2": -0.5},
        feasible=False,
        reason="too small",
        metrics={"energy_pj": 2.0},
        workloads={"w": {"energy_pj": 2.0}},
    )
    user, system = attrs.result_attrs(ev, written=())
    t = create_trial(
        state=TrialState.COMPLETE, values=ev.values, user_attrs=user, system_attrs=system
    )
    a = attrs.parse_trial(t)
    assert (a.design_key, a.feasible, a.reason, a.note) == (ev.key, False, "too small", "too small")
    assert a.constraints == ev.constraints and t.constraints == ev.constraints  # optuna agrees
    assert a.full_design({}) == ev.design
    assert attrs.evaluation_from_trial(t) == ev
    assert attrs.result_attrs(ev)[0].keys() == user.keys() - {attrs.DESIGN_KEY}

    pruned = create_trial(state=TrialState.PRUNED, user_attrs={attrs.SKIPPED: "duplicate"})
    p = attrs.parse_trial(pruned)
    assert p.feasible is None and p.note == "duplicate" and p.full_design({"d1": 8}) == {"d1": 8}
    assert attrs.evaluation_from_trial(pruned) is None
