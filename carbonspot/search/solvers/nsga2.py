"""pymoo NSGA-II over the study's mixed variables, evaluated through the study's trials.

pymoo's NSGA-II for mixed variables is ``MixedVariableGA`` with rank-and-crowding survival
(pymoo docs, "Mixed Variable Problem"); here it also gets NSGA-II's binary tournament on rank
and crowding distance, and offspring are made unique against every design evaluated so far
(an evaluation is the expensive step; re-proposing a known design wastes a generation slot).

After every generation the population (genes), the generation number and the state of the
random generator go into the study's system attribute ``carbonspot:pymoo:<seed>``. Resuming
re-creates the algorithm with that population as its initial one (its designs come from the
memo, not re-evaluated) and restores the random state, so a resumed run continues exactly as an
uninterrupted one would.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from carbonspot.search.runner import StudySession

PYMOO_ATTR = "carbonspot:pymoo"
BIG = 1e300  # stands in for +inf objective values of infeasible designs (pymoo wants finite F)


class DesignDuplicates(DuplicateElimination):
    """Duplicates by design identity (inactive genes ignored), optionally against an archive."""

    def __init__(self, space: DesignSpace, archive: Any = None) -> None:
        super().__init__()
        self.space = space
        self.archive = archive

    def key(self, ind: Any) -> str:
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


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class PymooNSGA2:
    """Drive pymoo's NSGA-II with ask/tell; evaluations go through the session's trials."""

    def __init__(self, session: StudySession, pool: Any = None) -> None:
        self.s = session
        self.pool = pool
        self.spec = session.spec
        self.space = session.spec.space
        self.pop_size = int(self.spec.option("pop_size", 24))
        self.attr = f"{PYMOO_ATTR}:{session.seed}"
        self.constraint_names = ["feasible", *(c.name for c in self.spec.constraints)]

    def _algorithm(self, sampling: Any) -> MixedVariableGA:
        algorithm = MixedVariableGA(
            pop_size=self.pop_size,
            sampling=sampling,
            mating=MixedVariableMating(
                selection=TournamentSelection(func_comp=binary_tournament),
                eliminate_duplicates=DesignDuplicates(self.space, archive=self.s.memo.cache),
            ),
            eliminate_duplicates=DesignDuplicates(self.space),
            survival=RankAndCrowding(),
            advance_after_initial_infill=True,
        )
        algorithm.tournament_type = "comp_by_dom_and_crowding"  # read by binary_tournament
        return algorithm

    def _problem(self) -> Problem:
        return Problem(
            vars=self.space.pymoo_vars(),
            n_obj=len(self.spec.objectives),
            n_ieq_constr=len(self.constraint_names),
        )

    def checkpoint(self) -> dict[str, Any] | None:
        """The last saved generation of this seed's run (``None`` if there is none)."""
        attrs = self.s.storage.get_study_system_attrs(self.s.study_id)
        return attrs.get(self.attr)

    def _save(self, algorithm: MixedVariableGA, generation: int) -> None:
        genes = [{k: _plain(v) for k, v in ind.X.items()} for ind in algorithm.pop]
        state = {
            "generation": generation,
            "pop_size": self.pop_size,
            "X": genes,
            "rng": algorithm.random_state.bit_generator.state,
        }
        self.s.storage.set_study_system_attr(self.s.study_id, self.attr, state)

    def _evaluate(self, pop: Population) -> bool:
        """Set F and G of ``pop``; False when the budget ran out first."""
        designs = [self.space.decode(ind.X) for ind in pop]
        evs: list[Any] = [None] * len(designs)
        while True:
            missing = [i for i, e in enumerate(evs) if e is None]
            if not missing:
                break
            res = self.s.evaluate_designs([designs[i] for i in missing], self.pool)
            for i, r in zip(missing, res, strict=True):
                evs[i] = r
            if any(e is None for e in evs):
                if self.s.n_complete() >= self.s.budget:
                    return False
                time.sleep(0.2)  # another process is evaluating some of these designs
        F = np.array([self.s.memo.minimised(ev.values) for ev in evs], dtype=float)
        F = np.where(np.isfinite(F), F, BIG)
        G = np.array(
            [[ev.constraints.get(n, 0.0) for n in self.constraint_names] for ev in evs],
            dtype=float,
        )
        pop.set("F", F, "G", G)
        return True

    def run(self) -> str:
        """Run generations until the study's budget is reached; returns why it stopped."""
        self.s.sync()
        ckpt = self.checkpoint()
        if ckpt is not None and ckpt.get("X"):
            sampling: Any = Population.new(X=[dict(x) for x in ckpt["X"]])
            generation = int(ckpt["generation"])
        else:
            sampling = MixedVariableSampling()
            generation = 0
        algorithm = self._algorithm(sampling)
        algorithm.setup(
            self._problem(),
            termination=MaximumGenerationTermination(10**9),
            seed=self.s.seed,
            verbose=False,
        )
        first = True
        while True:
            if self.s.n_complete() >= self.s.budget:
                return "budget reached"
            if self.s.exhausted():
                return f"all {self.s.space_size} designs evaluated"
            if not algorithm.has_next():
                return "NSGA-II could not create new designs (space nearly exhausted)"
            pop = algorithm.ask()
            if pop is None or len(pop) == 0:
                return "NSGA-II could not create new designs (space nearly exhausted)"
            if not self._evaluate(pop):
                return "budget reached"
            algorithm.tell(infills=pop)
            if first and ckpt is not None and ckpt.get("rng"):
                # resumed: the initial population was the checkpoint; continue its random stream
                algorithm.random_state.bit_generator.state = ckpt["rng"]
            else:
                generation += 1
            first = False
            self._save(algorithm, generation)
