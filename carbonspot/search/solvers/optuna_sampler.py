"""optuna samplers (``optuna-nsga2``, ``optuna-tpe``) in an ask/tell loop, one trial at a time.

The sampler proposes a design in a trial (define-by-run over the design space); the context
evaluates it, or skips it when the design is already evaluated or held by another trial. A
long run of skipped proposals means the sampler keeps returning to known designs: the space is
nearly exhausted, so the run stops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from carbonspot.search.solvers.base import Solver, SolverContext

if TYPE_CHECKING:
    import optuna

MAX_DUPLICATE_STREAK = 200  # skipped proposals in a row that end the run
WAIT_S = 0.05  # pause while other processes' trials fill the budget


class OptunaSampler(Solver):
    """Base of the optuna-sampler solvers: the shared ask/tell loop."""

    uses_optuna_sampler: ClassVar[bool] = True

    def run(self, ctx: SolverContext) -> str:
        """Ask, evaluate, tell, until the stop rule (or a streak of known designs) ends it."""
        streak = 0
        while True:
            ctx.refresh()
            stop = ctx.stop_reason()
            if stop is not None:
                return stop
            if not ctx.has_room():
                ctx.wait(WAIT_S)
                continue
            if ctx.evaluate_proposal() is None:
                streak = 0
                continue
            streak += 1
            if streak >= MAX_DUPLICATE_STREAK:
                return (
                    f"the sampler proposed {streak} evaluated designs in a row "
                    "(space nearly exhausted)"
                )


class OptunaNSGA2(OptunaSampler):
    """optuna's ``NSGAIISampler`` (option ``pop_size``)."""

    name = "optuna-nsga2"
    defaults: ClassVar = {"pop_size": 24}

    def sampler(self) -> optuna.samplers.BaseSampler:
        """``NSGAIISampler(population_size=pop_size)``, seeded."""
        import optuna

        return optuna.samplers.NSGAIISampler(
            population_size=int(self.options["pop_size"]), seed=self.seed
        )


class OptunaTPE(OptunaSampler):
    """optuna's multivariate ``TPESampler`` (option ``n_startup_trials``)."""

    name = "optuna-tpe"
    defaults: ClassVar = {"n_startup_trials": 10}

    def sampler(self) -> optuna.samplers.BaseSampler:
        """``TPESampler(n_startup_trials=…, multivariate=True)``, seeded."""
        import optuna

        return optuna.samplers.TPESampler(
            n_startup_trials=int(self.options["n_startup_trials"]),
            seed=self.seed,
            multivariate=True,
        )
