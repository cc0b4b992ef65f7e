"""The solvers of a study, by name: ``solver:`` in a study file, ``--solver`` on the command line.

* ``nsga2``: pymoo NSGA-II over mixed variables, checkpointed every generation
  (:mod:`~carbonspot.search.solvers.nsga2`);
* ``optuna-nsga2`` / ``optuna-tpe``: optuna samplers in an ask/tell loop
  (:mod:`~carbonspot.search.solvers.optuna_sampler`);
* ``grid``: every design of the finite space in file order (:mod:`~carbonspot.search.solvers.grid`).

Every solver implements :class:`~carbonspot.search.solvers.base.Solver`; a new one is a module
with a ``Solver`` subclass added to :data:`SOLVERS`.
"""

from __future__ import annotations

from carbonspot.errors import InputError
from carbonspot.search.solvers.base import Solver, SolverContext
from carbonspot.search.solvers.grid import GridSolver
from carbonspot.search.solvers.nsga2 import PymooNSGA2
from carbonspot.search.solvers.optuna_sampler import OptunaNSGA2, OptunaTPE

SOLVERS: dict[str, type[Solver]] = {
    cls.name: cls for cls in (PymooNSGA2, OptunaNSGA2, OptunaTPE, GridSolver)
}
SOLVER_NAMES: tuple[str, ...] = tuple(SOLVERS)
DEFAULT_SOLVER = PymooNSGA2.name
# Every solver option a study file may set (each solver reads its own, see Solver.defaults).
SOLVER_OPTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(k for cls in SOLVERS.values() for k in cls.defaults)
)


def solver_class(name: str) -> type[Solver]:
    """The solver registered as ``name``; unknown names raise :class:`InputError`."""
    try:
        return SOLVERS[name]
    except KeyError:
        raise InputError(f"unknown solver {name!r}", field="solver", allowed=SOLVER_NAMES) from None


__all__ = [
    "DEFAULT_SOLVER",
    "SOLVERS",
    "SOLVER_NAMES",
    "SOLVER_OPTIONS",
    "Solver",
    "SolverContext",
    "solver_class",
]
