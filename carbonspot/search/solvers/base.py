"""The solver interface: what a solver is (:class:`Solver`) and what it sees of a run
(:class:`SolverContext`).

A solver only proposes designs and decides when to ask for more; everything else (storage,
trials, claims, the memo, the budget, worker processes) is behind the context, which
:class:`~carbonspot.search.session.StudySession` implements. Like optuna's ``BaseSampler``:
one abstract class, one module per solver, registered by name in
:mod:`carbonspot.search.solvers`.

Solver modules import nothing heavy at module level (optuna, pymoo are imported when a solver
runs), so listing the solvers (``carbonspot --help``) stays cheap.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from carbonspot.search.objective import Evaluation
from carbonspot.search.space import DesignSpace

if TYPE_CHECKING:
    import optuna


class SolverContext(Protocol):
    """A solver's whole view of a study run."""

    @property
    def space(self) -> DesignSpace:
        """The design space searched."""
        ...

    @property
    def n_objectives(self) -> int:
        """Number of objectives (values of an :class:`Evaluation`)."""
        ...

    @property
    def constraint_names(self) -> tuple[str, ...]:
        """Keys of :attr:`Evaluation.constraints`, ``feasible`` first."""
        ...

    @property
    def n_evaluated(self) -> int:
        """Designs this process has evaluated so far in this run."""
        ...

    def refresh(self) -> None:
        """Catch up with the storage: fail trials of dead processes, load the evaluations
        other processes finished, report progress."""
        ...

    def stop_reason(self, exhausted: bool | None = None) -> str | None:
        """Why the run must stop now (budget, space exhausted, this run's cap), else ``None``.

        ``exhausted=True``: the solver knows every design is evaluated; ``None``: the context
        checks.
        """
        ...

    def has_room(self) -> bool:
        """True while COMPLETE + RUNNING trials (all processes) leave room in the budget."""
        ...

    def evaluated_keys(self) -> Collection[str]:
        """Design keys of every evaluation known (live view, grows as the run goes)."""
        ...

    def evaluate_designs(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation | None]:
        """Evaluations of fixed designs (known ones free, new ones become trials).

        ``None`` marks a design not evaluated now: the budget is used up, or another process
        is evaluating it (ask again later).
        """
        ...

    def evaluate_proposal(self) -> str | None:
        """One trial proposed by the study's optuna sampler: evaluated, or skipped because its
        design is known or held (returns why; ``None`` when evaluated)."""
        ...

    def minimised(self, values: Sequence[float]) -> list[float]:
        """Objective values as minimisation (maximised objectives negated)."""
        ...

    def load_checkpoint(self, tag: str) -> dict[str, Any] | None:
        """This seed's saved solver state under ``tag`` (``None`` if there is none)."""
        ...

    def save_checkpoint(self, tag: str, state: Mapping[str, Any]) -> None:
        """Save this seed's solver state under ``tag`` (JSON values)."""
        ...

    def wait(self, seconds: float) -> None:
        """Pause while other processes work."""
        ...


class Solver(ABC):
    """A search strategy over a study's design space.

    ``defaults`` are the study-file ``solver_options`` it reads, with their default values;
    ``needs_finite_space``: it enumerates the space (no continuous real without a step);
    ``uses_optuna_sampler``: designs come from the study's optuna sampler, one trial at a time
    (the sampler is told every result, stale trials are retried, and ``--jobs`` runs several
    processes on the study instead of a pool of evaluation workers).
    """

    name: ClassVar[str]
    defaults: ClassVar[Mapping[str, int]] = {}
    needs_finite_space: ClassVar[bool] = False
    uses_optuna_sampler: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any], seed: int) -> None:
        self.options = {k: options.get(k, v) for k, v in self.defaults.items()}
        self.seed = seed

    def sampler(self) -> optuna.samplers.BaseSampler:
        """The optuna sampler of the study (a seeded random placeholder by default)."""
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)

    @abstractmethod
    def run(self, ctx: SolverContext) -> str:
        """Search until the context's stop rule (or the solver) ends it; returns why."""
