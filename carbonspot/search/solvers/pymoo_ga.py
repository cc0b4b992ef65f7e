"""pymoo's side of the ``nsga2`` solver: the Problem and the mixed-variable NSGA-II Algorithm.

pymoo's NSGA-II for mixed variables is ``MixedVariableGA`` with rank-and-crowding survival
(pymoo docs, "Mixed Variable Problem"); here it also gets NSGA-II's binary tournament on rank
and crowding distance, and offspring are made unique against every design evaluated so far
(an evaluation is the expensive step; re-proposing a known design wastes a generation slot).
Imported only when the solver runs (pymoo is slow to import).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from pymoo.algorithms.moo.nsga2 import binary_tournament
from pymoo.core.duplicate import DuplicateElimination
from pymoo.core.mixed import MixedVariableGA, MixedVariableMating, MixedVariableSampling
from pymoo.core.population import Population
from pymoo.core.problem import Problem
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.operators.survival.rank_and_crowding import RankAndCrowding
from pymoo.termination.max_gen import MaximumGenerationTermination

from carbonspot.search.space import DesignSpace, design_key

MAX_GENERATIONS = 10**9  # the study's stop rule ends the run, not pymoo's termination


class DesignDuplicates(DuplicateElimination):
    """Duplicates by design identity (inactive genes ignored), optionally against an archive."""

    def __init__(self, space: DesignSpace, archive: Collection[str] | None = None) -> None:
        super().__init__()
        self.space = space
        self.archive = archive

    def key(self, ind: Any) -> str:
        """Design key of a pymoo individual."""
        return design_key(self.space.decode(ind.X))

    def _do(self, pop: Any, other: Any, is_duplicate: np.ndarray) -> np.ndarray:
        seen: set[str] = set(self.archive) if self.archive is not None else set()
        if other is not None:
            seen.update(self.key(o) for o in other)
        for i, ind in enumerate(pop):
            k = self.key(ind)
            if k in seen:
                is_duplicate[i] = True
            else:
                seen.add(k)
        return is_duplicate


def problem(space: DesignSpace, n_objectives: int, n_constraints: int) -> Problem:
    """The mixed-variable Problem (evaluated outside pymoo, through ask/tell)."""
    return Problem(vars=space.pymoo_vars(), n_obj=n_objectives, n_ieq_constr=n_constraints)


def build_nsga2(
    space: DesignSpace,
    pop_size: int,
    n_objectives: int,
    n_constraints: int,
    seed: int,
    archive: Collection[str],
    initial: Sequence[Mapping[str, Any]] | None = None,
) -> MixedVariableGA:
    """NSGA-II over ``space``, set up for ask/tell.

    Offspring are unique against ``archive`` (keys of the designs evaluated; a live view).
    ``initial`` genes (a checkpointed population) replace the random initial sampling.
    """
    sampling: Any = (
        Population.new(X=[dict(x) for x in initial]) if initial else MixedVariableSampling()
    )
    algorithm = MixedVariableGA(
        pop_size=pop_size,
        sampling=sampling,
        mating=MixedVariableMating(
            selection=TournamentSelection(func_comp=binary_tournament),
            eliminate_duplicates=DesignDuplicates(space, archive=archive),
        ),
        eliminate_duplicates=DesignDuplicates(space),
        survival=RankAndCrowding(),
        advance_after_initial_infill=True,
    )
    algorithm.tournament_type = "comp_by_dom_and_crowding"  # read by binary_tournament
    algorithm.setup(
        problem(space, n_objectives, n_constraints),
        termination=MaximumGenerationTermination(MAX_GENERATIONS),
        seed=seed,
        verbose=False,
    )
    return algorithm
