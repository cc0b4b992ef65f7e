"""A validated study: design space, workloads, carbon settings, objectives, solver and budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carbonspot.mapper.exhaustive import DEFAULT_MAPPER
from carbonspot.search.objective import Constraint, DesignEvaluator, MemoObjective, Objective
from carbonspot.search.solvers import DEFAULT_SOLVER
from carbonspot.search.space import DesignSpace


@dataclass(frozen=True)
class StudySpec:
    """Everything a study run needs; built by :func:`carbonspot.search.files.study_file.load_study_file`.

    ``project_dir`` is the directory the default embedded storage lives under
    (``<project_dir>/studies/runs/<name>.journal``).
    """

    source: str
    name: str
    space: DesignSpace
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    preset: str = "corrected"
    mapper_objective: str = "edp"
    mapper: str = DEFAULT_MAPPER  # per-layer search (carbonspot.mapper.exhaustive.MAPPERS)
    data_locality: bool = True  # graph-based memory pruning (False: zigzag-dse's default)
    suite: str | None = None
    workloads: tuple[str, ...] = ()
    carbon: tuple[tuple[str, Any], ...] = ()
    period_s: float | tuple[tuple[str, float], ...] | None = None
    solver: str = DEFAULT_SOLVER
    n_trials: int = 100
    seed: int = 0
    solver_options: tuple[tuple[str, Any], ...] = ()
    description: str = ""
    project_dir: str = "."
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def directions(self) -> list[str]:
        """optuna directions of the objectives."""
        return [o.direction for o in self.objectives]

    @property
    def metric_names(self) -> list[str]:
        """Objective names with units (shown by the dashboard)."""
        return [o.label for o in self.objectives]

    @property
    def period_override(self) -> float | dict[str, float] | None:
        """``period_s`` as :func:`evaluate_design` takes it."""
        if isinstance(self.period_s, tuple):
            return dict(self.period_s)
        return self.period_s

    def option(self, name: str, default: Any) -> Any:
        """A solver option from the file's ``solver_options`` (or ``default``)."""
        return dict(self.solver_options).get(name, default)

    def default_storage_path(self) -> Path:
        """The embedded journal of this study: ``<project>/studies/runs/<name>.journal``."""
        from carbonspot.search.storage import default_journal_path  # optuna: only when used

        return default_journal_path(self.name, self.project_dir)

    def evaluator(self) -> DesignEvaluator:
        """The real metrics function (cost model + carbon) of this study."""
        return DesignEvaluator(
            preset=self.preset,
            workloads=self.workloads,
            suite=self.suite,
            carbon=dict(self.carbon),
            period_s=self.period_override,
            default_objective=self.mapper_objective,
            mapper=self.mapper,
            data_locality=self.data_locality,
        )

    def memo_objective(self, metrics_fn: Any = None) -> MemoObjective:
        """The memoised objective (``metrics_fn`` defaults to :meth:`evaluator`)."""
        return MemoObjective(metrics_fn or self.evaluator(), self.objectives, self.constraints)

    def with_overrides(self, **changes: Any) -> StudySpec:
        """A copy with CLI overrides (``solver``, ``n_trials``, ``seed``) applied."""
        from dataclasses import replace

        clean: Mapping[str, Any] = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **clean)
