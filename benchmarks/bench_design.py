"""CPU time per design of the fast, exhaustive and carbonspot2025 mappers on a study's space.

Draws a seeded sample of distinct designs from a study file's design space (default
``studies/tinyml.yaml``, whose suite is ``tiny``) and evaluates each design on every workload of
the study's suite in three modes, all in the same run:

* ``fast`` — preset ``corrected``, the compiled branch-and-bound mapper (the default), on all
  designs;
* ``carbonspot2025`` — preset ``carbonspot2025`` with the fast mapper, i.e. the original
  CarbonSpot's narrow spatial search, on all designs;
* ``exhaustive`` — preset ``corrected``, the numpy exhaustive search, on the first
  ``--exhaustive K`` designs only (it can take minutes per design).

What is measured, and how:

* CPU time (``time.process_time()``, not wall: the machine may be shared) of the
  ``evaluate_workload`` calls of one design on all the suite's workloads, summed. Building the
  accelerators (one per workload and preset, as ``carbonspot.design`` does) is NOT
  timed: they are built when the design is drawn.
* Cold cache: one ``carbonspot.evaluate.Evaluator`` for the run (as a study process holds
  one), its layer results cleared (``clear_layer_results()``) before every design and mode, so
  no layer result is reused from another design or mode (layers repeated within a design's
  workloads are still served from the cache, as in a study). Lower-level caches (the
  evaluator's spatial candidates, loop orderings, accelerator tables) persist as they do in a
  study process; ``--cold-all`` clears those too.
* Warm JIT: one small evaluation (template dimc, dim=16, first workload, both presets) is run
  and timed separately first. Its time is the numba kernel's start-up: loading the on-disk
  compile cache (~0.5 s), or compiling the kernel on the very first run ever (~60-90 s).
* Optimality: on the exhaustive subset, every layer's objective value (from the LayerResult's
  ``energy_pj`` and ``latency_cycles``, as the mapper computes it: edp = latency x energy;
  energy = energy + 1e-12 x latency; latency = latency + 1e-12 x energy) of fast vs exhaustive;
  a ratio fast / exhaustive above 1 + 1e-9 (or a feasibility mismatch) makes the exit code 1.
* Cost-model evaluations per design: for the fast mapper the sums over the layer searches of
  ``carbonspot.mapper.fast.LAST_STATS`` (candidates, visited, nests_allocated = loop-order
  prefixes examined, nests_costed = complete loop nests costed, refined); for the exhaustive
  mapper the loop nests costed by ``carbonspot.cost.model.evaluate`` (its rows). Layers served
  from the cache do no search. The counting wrappers stay in place while timing (one Python
  call per search or per ``cost.evaluate`` call).
* Peak RSS of this process (``resource.getrusage``).

    python benchmarks/bench_design.py                          # 100 designs, 12 exhaustive
    python benchmarks/bench_design.py --designs 200 --seed 1 --exhaustive 0
    python benchmarks/bench_design.py --designs 6 --exhaustive 1 --json out.json

Targets (issue 10), per design, fast mapper, ``corrected`` preset: median <= 100 ms,
p99 <= 1 s, max <= 3 s. Numbers taken on a busy machine are not meaningful; run it on a quiet
one.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from carbonspot import evaluate as ev
from carbonspot.cost import model as cost
from carbonspot.cost.results import WorkloadResult
from carbonspot.design import build_accelerator
from carbonspot.errors import InputError
from carbonspot.mapper import fast as fastmap
from carbonspot.search.files.study_file import load_study_file
from carbonspot.search.space import MAPPER_OBJECTIVE, TEMPLATE, DesignSpace, design_key
from carbonspot.search.spec import StudySpec
from carbonspot.workload import zoo
from carbonspot.workload.model import Workload

REPO = Path(__file__).resolve().parents[1]
# mode -> (preset, mapper)
MODES: dict[str, tuple[str, str]] = {
    "fast": ("corrected", "fast"),
    "carbonspot2025": ("carbonspot2025", "fast"),
    "exhaustive": ("corrected", "exhaustive"),
}
FAST_FIELDS = ("candidates", "visited", "nests_allocated", "nests_costed", "refined")
TOLERANCE = 1e-9
TARGETS_MS = {"p50": 100.0, "p99": 1000.0, "max": 3000.0}  # issue 10, fast + corrected


# --------------------------------------------------------------------------------------------
# designs


@dataclass
class Design:
    """One drawn design: its parameters and its accelerators (per preset, per workload)."""

    index: int
    values: dict[str, Any]  # template, objective and accelerator parameters
    template: str
    objective: str
    params: dict[str, Any]
    accs: dict[str, list[Any]] = field(default_factory=dict)  # preset -> one per workload


def study_workloads(spec: StudySpec) -> list[Workload]:
    """The study's workloads: its suite's, or its listed ones (as the study evaluator does)."""
    if spec.suite is not None:
        return list(zoo.suite(spec.suite))
    return [zoo.load_workload(name) for name in spec.workloads]


def _draw_value(var: Any, rng: random.Random) -> Any:
    if var.values:
        return rng.choice(var.values)
    return rng.uniform(var.low, var.high)  # a continuous real


def draw_values(space: DesignSpace, rng: random.Random) -> dict[str, Any]:
    """Template uniformly from its values, then each variable active for it uniformly."""
    tv = space.variable(TEMPLATE)
    template = _draw_value(tv, rng) if tv is not None else dict(space.fixed)[TEMPLATE]
    values: dict[str, Any] = {TEMPLATE: template}
    for var in space.variables:
        if var.name != TEMPLATE and var.active(str(template)):
            values[var.name] = _draw_value(var, rng)
    return space.complete(values)


def sample_designs(
    spec: StudySpec, workloads: Sequence[Workload], n: int, seed: int, presets: Sequence[str]
) -> tuple[list[Design], int, int]:
    """``n`` distinct designs the templates accept (with their accelerators built).

    Returns the designs, the number of draws the template rejected (InputError) and the number
    of duplicate draws; both are redrawn.
    """
    rng = random.Random(seed)
    designs: list[Design] = []
    seen: set[str] = set()
    rejected = duplicates = 0
    max_draws = 1000 * max(n, 1)
    draws = 0
    while len(designs) < n:
        draws += 1
        if draws > max_draws:
            raise SystemExit(f"gave up after {draws} draws: {len(designs)} distinct designs")
        values = draw_values(spec.space, rng)
        key = design_key(values)
        if key in seen:
            duplicates += 1
            continue
        template = str(values[TEMPLATE])
        objective = str(values.get(MAPPER_OBJECTIVE, spec.mapper_objective))
        params = {k: v for k, v in values.items() if k not in (TEMPLATE, MAPPER_OBJECTIVE)}
        try:
            accs = {
                p: [build_accelerator(template, params, p, w) for w in workloads] for p in presets
            }
        except InputError:
            rejected += 1
            continue
        seen.add(key)
        designs.append(Design(len(designs), values, template, objective, params, accs))
    return designs, rejected, duplicates


# --------------------------------------------------------------------------------------------
# counting the search's work


class WorkCounter:
    """Sums the work of the layer searches while active (wraps the mappers' entry points).

    fast: ``fastmap.best_mapping_fast`` (read ``LAST_STATS`` after each search); exhaustive:
    ``evaluate.best_mapping`` (searches) and ``cost.evaluate`` (rows = loop nests costed).
    """

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def _add(self, key: str, value: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + int(value)

    @contextmanager
    def active(self, mapper: str) -> Iterator[WorkCounter]:
        """Count the searches of ``mapper`` inside the ``with`` block."""
        self.counts = {"searches": 0}
        patches: list[tuple[Any, str, Callable[..., Any]]] = []
        if mapper == "fast":
            original_fast = fastmap.best_mapping_fast

            def fast(*args: Any, **kwargs: Any) -> Any:
                out = original_fast(*args, **kwargs)
                self._add("searches", 1)
                for name in FAST_FIELDS:
                    self._add(name, getattr(fastmap.LAST_STATS, name))
                return out

            patches.append((fastmap, "best_mapping_fast", fast))
        else:
            original_search = ev.best_mapping
            original_cost = cost.evaluate

            def search(*args: Any, **kwargs: Any) -> Any:
                self._add("searches", 1)
                return original_search(*args, **kwargs)

            def costing(prob: Any, dims: Any, *args: Any, **kwargs: Any) -> Any:
                self._add("nests_costed", dims.shape[0])
                self._add("evaluate_calls", 1)
                return original_cost(prob, dims, *args, **kwargs)

            patches += [(ev, "best_mapping", search), (cost, "evaluate", costing)]
        saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patches]
        try:
            for mod, name, fn in patches:
                setattr(mod, name, fn)
            yield self
        finally:
            for mod, name, fn in saved:
                setattr(mod, name, fn)


def clear_all_caches(evaluator: ev.Evaluator) -> int:
    """Clear the evaluator's caches and the models' memoised tables (orderings, accelerators).

    The kernel's work arrays (``fastmap._work``) are kept: they are allocated once per process.
    Returns the number of caches cleared.
    """
    n = 0
    evaluator.clear()
    for mod in list(sys.modules.values()):
        modname = getattr(mod, "__name__", "")
        if not modname.startswith(("carbonspot.mapper", "carbonspot.cost", "carbonspot.hardware")):
            continue
        for name, obj in list(vars(mod).items()):
            if name == "_work" or not callable(getattr(obj, "cache_clear", None)):
                continue
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            obj.cache_clear()
            n += 1
    return n + 1


# --------------------------------------------------------------------------------------------
# running


@dataclass
class Run:
    """One design in one mode: CPU time, work counts and the workload results."""

    cpu_ms: float
    workload_ms: dict[str, float]
    counts: dict[str, int]
    results: list[WorkloadResult | None]
    infeasible: int


def run_design(
    design: Design,
    workloads: Sequence[Workload],
    mode: str,
    counter: WorkCounter,
    evaluator: ev.Evaluator,
    cold_all: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> Run:
    """Evaluate ``design`` on every workload in ``mode``, cold layer cache; CPU time of it."""
    preset, mapper = MODES[mode]
    evaluator.clear_layer_results()
    if cold_all:
        clear_all_caches(evaluator)
    results: list[WorkloadResult | None] = []
    per: dict[str, float] = {}
    infeasible = 0
    with counter.active(mapper):
        for workload, acc in zip(workloads, design.accs[preset], strict=True):
            start = time.process_time()
            try:
                res: WorkloadResult | None = ev.evaluate_workload(
                    acc, workload, design.objective, preset, mapper=mapper, evaluator=evaluator
                )
            except InputError:
                res = None
            per[workload.name] = (time.process_time() - start) * 1e3
            if res is None or not res.feasible:
                infeasible += 1
            results.append(res)
            if progress is not None:
                progress(workload.name, per[workload.name])
    return Run(sum(per.values()), per, dict(counter.counts), results, infeasible)


def warm_up(workloads: Sequence[Workload], evaluator: ev.Evaluator) -> dict[str, dict[str, float]]:
    """One small evaluation per preset of the fast mapper (loads or compiles the kernel)."""
    out = {}
    for preset in ("corrected", "carbonspot2025"):
        acc = build_accelerator("dimc", {"dim": 16}, preset, workloads[0])
        evaluator.clear_layer_results()
        wall, cpu = time.perf_counter(), time.process_time()
        evaluator.evaluate_workload(acc, workloads[0], "edp", preset, mapper="fast")
        out[preset] = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    evaluator.clear_layer_results()
    return out


# --------------------------------------------------------------------------------------------
# optimality


def objective_value(energy: float, latency: float, objective: str) -> float:
    """The mapper's per-layer objective from a layer's energy (pJ) and latency (cycles)."""
    if objective == "edp":
        return latency * energy
    if objective == "energy":
        return energy + 1e-12 * latency
    return latency + 1e-12 * energy


def compare_layers(
    design: Design, fast: Run, exhaustive: Run
) -> tuple[int, int, float, str | None]:
    """Per-layer fast / exhaustive objective ratios of one design.

    Returns (layers compared, feasibility mismatches, worst ratio, where the worst is).
    """
    compared = mismatches = 0
    worst, where = -math.inf, None
    for f_res, e_res in zip(fast.results, exhaustive.results, strict=True):
        if f_res is None or e_res is None:
            mismatches += (f_res is None) != (e_res is None)
            continue
        for f_lay, e_lay in zip(f_res.layers, e_res.layers, strict=True):
            if f_lay.feasible != e_lay.feasible:
                mismatches += 1
                continue
            if not f_lay.feasible:
                continue
            fv = objective_value(f_lay.energy_pj, f_lay.latency_cycles, design.objective)
            xv = objective_value(e_lay.energy_pj, e_lay.latency_cycles, design.objective)
            ratio = fv / xv if xv > 0 else (1.0 if fv == xv else math.inf)
            compared += 1
            if ratio > worst:
                worst, where = ratio, f"{f_res.workload}/{f_lay.layer}"
    return compared, mismatches, worst, where


# --------------------------------------------------------------------------------------------
# reporting


def distribution(values: Sequence[float]) -> dict[str, float]:
    """count, p50, p90, p99, max and mean of ``values`` (linear-interpolated percentiles)."""
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        return {"count": 0}
    p50, p90, p99 = np.percentile(a, [50, 90, 99])
    return {
        "count": int(a.size),
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "max": float(a.max()),
        "mean": float(a.mean()),
    }


def _describe(values: Mapping[str, Any]) -> str:
    name = f"{values[TEMPLATE]}/{values.get(MAPPER_OBJECTIVE, '-')}"
    rest = ",".join(f"{k}={v}" for k, v in values.items() if k not in (TEMPLATE, MAPPER_OBJECTIVE))
    return f"{name} {rest}"


def _print_distributions(per_mode_ms: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    print("\nCPU ms per design (evaluate_workload calls on all workloads, cold layer cache):")
    print(
        f"  {'mode':15s} {'count':>5s} {'p50':>9s} {'p90':>9s} {'p99':>9s} {'max':>9s} {'mean':>9s}"
    )
    out = {}
    for mode, ms in per_mode_ms.items():
        d = distribution(ms)
        out[mode] = d
        if not d["count"]:
            print(f"  {mode:15s} {0:5d}  (not run)")
            continue
        print(
            f"  {mode:15s} {d['count']:5d} {d['p50']:9.1f} {d['p90']:9.1f} {d['p99']:9.1f} "
            f"{d['max']:9.1f} {d['mean']:9.1f}"
        )
    return out


def _print_counts(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    print("\ncost-model work per design (summed over the layer searches; p50 / max):")
    out: dict[str, Any] = {}
    for mode in MODES:
        rows = [r["counts"][mode] for r in records if mode in r["counts"]]
        if not rows:
            continue
        keys = ["searches", *(FAST_FIELDS if MODES[mode][1] == "fast" else ("nests_costed",))]
        if MODES[mode][1] == "exhaustive":
            keys.append("evaluate_calls")
        parts, out[mode] = [], {}
        for key in keys:
            vals = [row.get(key, 0) for row in rows]
            p50, mx = float(np.percentile(vals, 50)), max(vals)
            out[mode][key] = {"p50": p50, "max": mx}
            parts.append(f"{key} {p50:,.0f} / {mx:,}")
        print(f"  {mode:15s} " + ", ".join(parts))
    print("  (fast: nests_allocated = loop-order prefixes examined, nests_costed = complete loop")
    print("   nests costed; exhaustive: nests_costed = rows costed by cost.evaluate)")
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=REPO / "studies" / "tinyml.yaml")
    ap.add_argument("--designs", type=int, default=100, help="designs in the sample")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample")
    ap.add_argument(
        "--exhaustive",
        type=int,
        default=12,
        metavar="K",
        help="run the exhaustive mapper on the first K designs (0: skip it)",
    )
    ap.add_argument(
        "--cold-all",
        action="store_true",
        help="also clear the models' per-process caches before every design and mode",
    )
    ap.add_argument("--json", metavar="PATH", help="also write all per-design numbers as JSON")
    args = ap.parse_args(argv)
    if args.designs < 1 or args.exhaustive < 0:
        ap.error("--designs must be >= 1 and --exhaustive >= 0")

    spec = load_study_file(args.file)
    workloads = study_workloads(spec)
    names = [w.name for w in workloads]
    print(
        f"study: {args.file}  suite: {spec.suite or '-'}  workloads: {', '.join(names)}  "
        f"designs: {args.designs}  seed: {args.seed}  exhaustive: first "
        f"{min(args.exhaustive, args.designs)}{'  cold-all' if args.cold_all else ''}"
    )

    evaluator = ev.Evaluator()  # one per process, as a study session holds one
    warm = warm_up(workloads, evaluator)
    print(
        "JIT warm-up (dimc dim=16 on "
        f"{names[0]}): "
        + ", ".join(
            f"{p} {w['cpu_s']:.2f} CPU s ({w['wall_s']:.2f} s wall)" for p, w in warm.items()
        )
    )

    presets = sorted({p for p, _ in MODES.values()})
    designs, rejected, duplicates = sample_designs(
        spec, workloads, args.designs, args.seed, presets
    )
    print(
        f"sample: {len(designs)} distinct designs; {rejected} draws rejected by the template "
        f"(InputError), {duplicates} duplicate draws; redrawn"
    )

    counter = WorkCounter()
    records: list[dict[str, Any]] = []
    per_mode_ms: dict[str, list[float]] = {m: [] for m in MODES}
    compared = mismatches = 0
    worst, worst_where = -math.inf, None
    infeasible = {m: 0 for m in MODES}
    n_exh = min(args.exhaustive, len(designs))
    for d in designs:
        rec: dict[str, Any] = {
            "index": d.index,
            "design": d.values,
            "template": d.template,
            "objective": d.objective,
            "cpu_ms": {},
            "workload_cpu_ms": {},
            "counts": {},
            "infeasible_workloads": {},
        }
        runs: dict[str, Run] = {}
        head = f"[{d.index + 1}/{len(designs)}] {_describe(d.values)}:"
        print(head, end="", flush=True)
        for mode in ("fast", "carbonspot2025", "exhaustive"):
            if mode == "exhaustive" and d.index >= n_exh:
                continue
            progress = None
            if mode == "exhaustive":
                print("\n    exhaustive:", end="", flush=True)

                def progress(name: str, ms: float) -> None:
                    print(f" {name} {ms:.0f} ms", end="", flush=True)

            run = run_design(d, workloads, mode, counter, evaluator, args.cold_all, progress)
            runs[mode] = run
            per_mode_ms[mode].append(run.cpu_ms)
            infeasible[mode] += run.infeasible
            rec["cpu_ms"][mode] = run.cpu_ms
            rec["workload_cpu_ms"][mode] = run.workload_ms
            rec["counts"][mode] = run.counts
            rec["infeasible_workloads"][mode] = run.infeasible
            if mode != "exhaustive":
                print(f" {mode} {run.cpu_ms:.1f} ms", end="", flush=True)
        if "exhaustive" in runs:
            n, bad, w, where = compare_layers(d, runs["fast"], runs["exhaustive"])
            compared += n
            mismatches += bad
            rec["optimality"] = {
                "layers_compared": n,
                "feasibility_mismatches": bad,
                "worst_ratio_fast_over_exhaustive": w if n else None,
                "worst_at": where,
            }
            if n and w > worst:
                worst, worst_where = w, f"design {d.index + 1} {where}"
            ex_ms = runs["exhaustive"].cpu_ms
            print(
                f" = {ex_ms:.0f} ms (x{_ratio(ex_ms, runs['fast'].cpu_ms):.1f} fast); worst "
                f"fast/exhaustive {w:.12g} over {n} layers",
                end="",
            )
        print(flush=True)
        records.append(rec)

    dist = _print_distributions(per_mode_ms)
    infeasible_text = ", ".join(f"{m} {v}" for m, v in infeasible.items() if per_mode_ms[m])
    print(f"  infeasible workload results: {infeasible_text}")
    fast_ms = per_mode_ms["fast"]
    ratios: dict[str, Any] = {
        "carbonspot2025_over_fast": {
            "median": _ratio(dist["carbonspot2025"]["p50"], dist["fast"]["p50"]),
            "mean": _ratio(dist["carbonspot2025"]["mean"], dist["fast"]["mean"]),
        }
    }
    print(
        f"\ncarbonspot2025 / fast ({len(fast_ms)} designs): ratio of medians "
        f"{ratios['carbonspot2025_over_fast']['median']:.2f}, ratio of means "
        f"{ratios['carbonspot2025_over_fast']['mean']:.2f}"
    )
    if n_exh:
        ex_ms = per_mode_ms["exhaustive"]
        per = [_ratio(e, f) for e, f in zip(ex_ms, fast_ms[:n_exh], strict=False)]
        ratios["exhaustive_over_fast"] = {
            "median": float(np.median(per)),
            "min": min(per),
            "max": max(per),
            "totals": _ratio(sum(ex_ms), sum(fast_ms[:n_exh])),
        }
        r = ratios["exhaustive_over_fast"]
        print(
            f"exhaustive / fast (first {n_exh} designs): per-design median {r['median']:.1f}, "
            f"min {r['min']:.1f}, max {r['max']:.1f}; ratio of totals {r['totals']:.1f}"
        )
    fd = dist["fast"]
    checks = [
        f"{k} {fd[k]:.0f} ms {'<=' if fd[k] <= t else '>'} {t:.0f}" for k, t in TARGETS_MS.items()
    ]
    ok = all(fd[k] <= t for k, t in TARGETS_MS.items())
    print(f"targets (fast, corrected): {', '.join(checks)}: {'met' if ok else 'NOT met'}")

    failed = False
    if n_exh:
        print(
            f"\noptimality (first {n_exh} designs): {compared} layer results compared; worst "
            f"objective ratio fast / exhaustive {worst:.15g} at {worst_where}"
        )
        if worst > 1 + TOLERANCE:
            print(f"  FAIL: fast is worse than exhaustive by more than {TOLERANCE:g} (relative)")
            failed = True
        if mismatches:
            print(f"  FAIL: {mismatches} layer/workload results feasible in one mapper only")
            failed = True
        if not failed:
            print(f"  ok: fast <= exhaustive x (1 + {TOLERANCE:g}) on every layer")
    else:
        print("\noptimality: not checked (--exhaustive 0)")

    counts = _print_counts(records)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    print(f"\npeak RSS: {rss_mb:.0f} MB")

    if args.json:
        out = {
            "study": str(args.file),
            "suite": spec.suite,
            "workloads": names,
            "seed": args.seed,
            "designs_requested": args.designs,
            "exhaustive_designs": n_exh,
            "cold_all": args.cold_all,
            "rejected_draws": rejected,
            "duplicate_draws": duplicates,
            "warm_up": warm,
            "cpu_ms_distribution": dist,
            "ratios": ratios,
            "optimality": {
                "layers_compared": compared,
                "feasibility_mismatches": mismatches,
                "worst_ratio_fast_over_exhaustive": worst if compared else None,
                "worst_at": worst_where,
            },
            "counts_distribution": counts,
            "peak_rss_mb": rss_mb,
            "designs": records,
        }
        Path(args.json).write_text(json.dumps(out, indent=1))
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
