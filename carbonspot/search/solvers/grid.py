"""``grid``: every design of the finite space in file order, in batches.

The grid is walked lazily, skipping designs already evaluated (by any process), so a budget
far below the grid's size never enumerates it all and a resumed run continues where it was.
"""

from __future__ import annotations

import itertools
from typing import ClassVar

from carbonspot.search.solvers.base import Solver, SolverContext
from carbonspot.search.space import design_key

BATCH = 16  # designs claimed (and sent to the pool) together
WAIT_S = 0.2  # pause while other processes evaluate the rest


class GridSolver(Solver):
    """Exhaustive enumeration of a finite design space."""

    name = "grid"
    needs_finite_space: ClassVar[bool] = True

    def run(self, ctx: SolverContext) -> str:
        """Evaluate pending grid designs batch by batch until the stop rule ends the run."""
        while True:
            ctx.refresh()
            stop = ctx.stop_reason()
            if stop is not None:
                return stop
            known = ctx.evaluated_keys()
            pending = (d for d in ctx.space.grid() if design_key(d) not in known)
            progressed = False
            n_pending = 0
            while chunk := list(itertools.islice(pending, BATCH)):
                n_pending += len(chunk)
                before = ctx.n_evaluated
                res = ctx.evaluate_designs(chunk)
                progressed = progressed or ctx.n_evaluated > before
                if ctx.stop_reason() is not None:
                    break
                if any(r is None for r in res) and not ctx.has_room():
                    break
            if n_pending == 0:  # every design of the grid is evaluated
                stop = ctx.stop_reason(exhausted=True)
                assert stop is not None  # the stop rule ends a run on an exhausted space
                return stop
            if not progressed:
                ctx.wait(WAIT_S)
