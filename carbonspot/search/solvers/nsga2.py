"""``nsga2``: pymoo NSGA-II over the study's mixed variables, checkpointed every generation.

The algorithm (:mod:`carbonspot.search.solvers.pymoo_ga`) runs in ask/tell form: each
generation's offspring are evaluated through the context's trials, so a design known to the
study (from any process or an earlier run) costs nothing.

After every generation the population (genes), the generation number and the state of the
random generator are saved as this seed's checkpoint (study system attribute
``carbonspot:pymoo:<seed>``). Resuming re-creates the algorithm with that population as its
initial one (its designs come from the memo, not re-evaluated) and restores the random state,
so a resumed run continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from carbonspot.search.solvers.base import Solver, SolverContext

CHECKPOINT_TAG = "pymoo"
BIG = 1e300  # stands in for +inf objective values of infeasible designs (pymoo wants finite F)
WAIT_S = 0.2  # pause while another process evaluates some of a generation's designs
NO_NEW_DESIGNS = "NSGA-II could not create new designs (space nearly exhausted)"


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class PymooNSGA2(Solver):
    """pymoo's mixed-variable NSGA-II (option ``pop_size``), driven by ask/tell."""

    name = "nsga2"
    defaults: ClassVar = {"pop_size": 24}

    @property
    def pop_size(self) -> int:
        """Population size (the ``pop_size`` solver option)."""
        return int(self.options["pop_size"])

    def _save(self, ctx: SolverContext, algorithm: Any, generation: int) -> None:
        genes = [{k: _plain(v) for k, v in ind.X.items()} for ind in algorithm.pop]
        state = {
            "generation": generation,
            "pop_size": self.pop_size,
            "X": genes,
            "rng": algorithm.random_state.bit_generator.state,
        }
        ctx.save_checkpoint(CHECKPOINT_TAG, state)

    def _evaluate(self, ctx: SolverContext, pop: Any) -> str | None:
        """Set F and G of ``pop``; returns why the run stops if it must stop first."""
        designs = [ctx.space.decode(ind.X) for ind in pop]
        evs: list[Any] = [None] * len(designs)
        while True:
            missing = [i for i, e in enumerate(evs) if e is None]
            if not missing:
                break
            res = ctx.evaluate_designs([designs[i] for i in missing])
            for i, r in zip(missing, res, strict=True):
                evs[i] = r
            if any(e is None for e in evs):
                stop = ctx.stop_reason()
                if stop is not None:
                    return stop
                ctx.wait(WAIT_S)
        F = np.array([ctx.minimised(ev.values) for ev in evs], dtype=float)
        F = np.where(np.isfinite(F), F, BIG)
        G = np.array(
            [[ev.constraints.get(n, 0.0) for n in ctx.constraint_names] for ev in evs],
            dtype=float,
        )
        pop.set("F", F, "G", G)
        return None

    def run(self, ctx: SolverContext) -> str:
        """Run generations until the stop rule ends the run; returns why it stopped."""
        from carbonspot.search.solvers.pymoo_ga import build_nsga2

        ctx.refresh()
        ckpt = ctx.load_checkpoint(CHECKPOINT_TAG) or {}
        initial = ckpt.get("X") or None  # the saved population: resume from it
        generation = int(ckpt["generation"]) if initial else 0
        algorithm = build_nsga2(
            ctx.space,
            self.pop_size,
            ctx.n_objectives,
            len(ctx.constraint_names),
            self.seed,
            archive=ctx.evaluated_keys(),
            initial=initial,
        )
        first = True
        while True:
            stop = ctx.stop_reason()
            if stop is not None:
                return stop
            if not algorithm.has_next():
                return NO_NEW_DESIGNS
            pop = algorithm.ask()
            if pop is None or len(pop) == 0:
                return NO_NEW_DESIGNS
            stop = self._evaluate(ctx, pop)
            if stop is not None:
                return stop
            algorithm.tell(infills=pop)
            if first and ckpt.get("rng"):
                # resumed: the initial population was the checkpoint; continue its random stream
                algorithm.random_state.bit_generator.state = ckpt["rng"]
            else:
                generation += 1
            first = False
            self._save(ctx, algorithm, generation)
