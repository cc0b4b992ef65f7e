"""Grid sweep: the Cartesian product of a design-space file, evaluated in parallel.

A :class:`SweepSpec` (read from YAML by :func:`carbonspot.search.files.sweep_file.load_sweep_file`)
lists design blocks (template(s) × parameter lists), the workloads, the preset, the mapper
objective, the mapper (search algorithm) and carbon overrides. :func:`run_sweep` expands the product, drops the designs the
template rejects as out of range (counted), evaluates the rest with
:class:`carbonspot.design.DesignPipeline` across worker processes and returns the rows
in a fixed order (design order, then workloads, then ``geo``) whatever the number of workers.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carbonspot import design as design_mod
from carbonspot.errors import InputError
from carbonspot.evaluate import Evaluator
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER
from carbonspot.search.pool import WorkerPool
from carbonspot.workload.model import Workload


@dataclass(frozen=True)
class DesignBlock:
    """Templates × the Cartesian product of parameter value lists (in the file's key order)."""

    templates: tuple[str, ...]
    params: tuple[tuple[str, tuple[Any, ...]], ...]

    def designs(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (template, params) of the block: template outermost, last parameter innermost."""
        names = [name for name, _ in self.params]
        values = [vals for _, vals in self.params]
        return [
            (template, dict(zip(names, combo, strict=True)))
            for template in self.templates
            for combo in itertools.product(*values)
        ]


@dataclass(frozen=True)
class SweepSpec:
    """A validated design-space file."""

    source: str
    name: str
    preset: str
    objective: str
    workloads: tuple[str, ...]  # zoo names or absolute paths
    suite: str | None
    blocks: tuple[DesignBlock, ...]
    carbon: tuple[tuple[str, Any], ...] = ()
    period_s: float | tuple[tuple[str, float], ...] | None = None
    mapper: str = DEFAULT_MAPPER  # per-layer search (carbonspot.mapper.exhaustive.MAPPERS)
    data_locality: bool = True  # graph-based memory pruning (False: zigzag-dse's default)

    def designs(self) -> list[tuple[str, dict[str, Any]]]:
        """All designs of all blocks, in file order."""
        return [d for block in self.blocks for d in block.designs()]

    @property
    def period_override(self) -> float | dict[str, float] | None:
        """``period_s`` as :func:`evaluate_design` takes it."""
        if isinstance(self.period_s, tuple):
            return dict(self.period_s)
        return self.period_s


@dataclass
class SweepOutcome:
    """Rows of a sweep and what was left out."""

    rows: list[dict[str, Any]]
    designs_total: int
    designs_evaluated: int
    skipped: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    suite: str | None = None  # the sweep's suite (its rows' ``suite`` column)

    @property
    def workload_rows(self) -> int:
        """Rows of one workload (``geo`` rows excluded)."""
        return sum(1 for r in self.rows if r["workload"] != design_mod.GEO)

    @property
    def infeasible_rows(self) -> int:
        """Rows (geo excluded) whose workload could not be mapped or costed."""
        return sum(1 for r in self.rows if r["workload"] != design_mod.GEO and not r["feasible"])

    def columns(self) -> list[str]:
        """CSV columns of the rows (``suite`` first when the sweep names a suite)."""
        return design_mod.row_columns(self.rows, first=("suite",) if self.suite else ())


def load_sweep_workloads(spec: SweepSpec) -> list[Workload]:
    """The workloads of a sweep: its suite, or each listed name/path, in order."""
    try:
        return design_mod.load_workloads(spec.suite, spec.workloads)
    except InputError as exc:
        if exc.source is None:
            exc = InputError(
                exc.message, source=spec.source, field=exc.field or "workloads", allowed=exc.allowed
            )
        raise exc from None


def sweep_pipeline(spec: SweepSpec) -> design_mod.DesignPipeline:
    """The pipeline every design of the sweep goes through (the file's carbon overrides)."""
    return design_mod.DesignPipeline.from_overrides(
        spec.preset,
        spec.objective,
        spec.mapper,
        dict(spec.carbon),
        source=f"{spec.source}: carbon",
        period_s=spec.period_override,
        suite=spec.suite,
        data_locality=spec.data_locality,
    )


def check_design(template: str, params: Mapping[str, Any], preset: str) -> str | None:
    """``None`` if the template accepts the design, else the reason it rejects it."""
    try:
        design_mod.build_accelerator(template, params, preset, None)
    except InputError as exc:
        return str(exc)
    return None


# --- worker side ------------------------------------------------------------------------------


@dataclass
class _SweepState:
    """What each worker holds: the loaded workloads, the pipeline and its own evaluator.

    The evaluator (the mapper's caches) is created on first use in the process that runs the
    designs, so each worker process, and each sweep run, has its own.
    """

    workloads: list[Workload]
    pipeline: design_mod.DesignPipeline
    evaluator: Evaluator | None = None


def _run_design(state: _SweepState, design: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    if state.evaluator is None:
        state.evaluator = Evaluator()
    template, params = design
    return state.pipeline.rows(template, params, state.workloads, evaluator=state.evaluator)


def default_jobs() -> int:
    """Worker processes by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(
    spec: SweepSpec,
    jobs: int | None = None,
    on_design_done: Callable[[int], None] | None = None,
    workloads: Sequence[Workload] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> SweepOutcome:
    """Evaluate every valid design of ``spec``; rows in design order whatever ``jobs`` is.

    ``on_start(n)`` is called with the number of designs to evaluate (after the template has
    filtered the grid) and ``on_design_done(n)`` after each finished design with the number
    done so far (progress bar hooks). ``workloads`` overrides loading them from the spec.
    """
    if jobs is not None and jobs < 1:
        raise InputError("must be at least 1", field="--jobs")
    loaded = list(workloads) if workloads is not None else load_sweep_workloads(spec)
    if isinstance(spec.period_s, tuple):
        names = [w.name for w in loaded]
        for key, _ in spec.period_s:
            if key not in names:
                raise InputError(
                    f"no workload {key!r} in this sweep",
                    source=spec.source,
                    field=f"period_s.{key}",
                    allowed=names,
                )
    pipeline = sweep_pipeline(spec)

    all_designs = spec.designs()
    valid: list[tuple[str, dict[str, Any]]] = []
    skipped: list[tuple[str, dict[str, Any], str]] = []
    for template, params in all_designs:
        reason = check_design(template, params, spec.preset)
        if reason is None:
            valid.append((template, params))
        else:
            skipped.append((template, params, reason))
    _raise_if_block_all_invalid(spec, skipped)

    state = _SweepState(loaded, pipeline)
    jobs = min(jobs or default_jobs(), max(1, len(valid)))
    if on_start:
        on_start(len(valid))
    rows: list[dict[str, Any]] = []
    with WorkerPool(state, jobs) as pool:
        for i, design_rows in enumerate(pool.imap(_run_design, valid), 1):
            rows.extend(design_rows)
            if on_design_done:
                on_design_done(i)
    return SweepOutcome(rows, len(all_designs), len(valid), skipped, spec.suite)


def _raise_if_block_all_invalid(
    spec: SweepSpec, skipped: list[tuple[str, dict[str, Any], str]]
) -> None:
    """A block none of whose designs the template accepts is a mistake in the file: say why."""
    rejected = {(t, tuple(sorted(p.items()))): reason for t, p, reason in skipped}
    for i, block in enumerate(spec.blocks):
        designs = block.designs()
        keys = [(t, tuple(sorted(p.items()))) for t, p in designs]
        if designs and all(k in rejected for k in keys):
            raise InputError(
                f"the template rejects every design of this block, e.g. {rejected[keys[0]]}",
                source=spec.source,
                field=f"designs[{i}]",
            )
