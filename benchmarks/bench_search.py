"""Search quality and study-loop overhead of the study solvers.

1. Exhaustive front: ``grid`` evaluates every design of a >= 10,000-point space (stored as
   trials in a journal, as a user would run it); its hypervolume is the 100 % mark.
2. Each solver (pymoo ``nsga2``, ``optuna-nsga2``, ``optuna-tpe``, and ``grid`` in file order)
   runs with budgets of 2 %, 5 % and 10 % of the space, 5 seeds each; the script prints the mean
   hypervolume ratio (normalised by the exhaustive front's ideal/nadir, reference 1.1).
   Evaluations come from the exhaustive run's table (the metrics are deterministic), so the
   figures measure the search, not the cost model.
3. Overhead (``--overhead-only`` runs just this): the per-trial cost of the study loop
   (storage writes, claims, storage reads, solver ask/tell, pool/IPC) against the per-design
   CPU time of the real cost model (fast mapper) on MLPerf-Tiny, for designs of
   ``studies/tinyml.yaml``; p50 / p90 / max over the batches of several seeded runs, CPU and
   wall, and the ratio overhead / evaluation. See :func:`overhead`.

The design space uses the real cost model when ``--real`` is given (slow: ~10k evaluations of
MLPerf-Tiny); by default it uses a synthetic closed-form trade-off over the same kind of mixed
space, which makes the benchmark run in minutes. Usage::

    python benchmarks/bench_search.py [--real] [--seeds 5] [--out DIR]
    python benchmarks/bench_search.py --overhead-only [--overhead-solvers nsga2,grid,optuna-tpe]
        [--overhead-seeds 3] [--overhead-trials 400] [--overhead-jobs 2]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from carbonspot.search.files.study_file import parse_study
from carbonspot.search.objective import DesignMetrics, evaluation_from_metrics
from carbonspot.search.pareto import normalised_hypervolume, pareto_mask, trial_matrix
from carbonspot.search.session import StudySession
from carbonspot.search.space import design_key

SPACE = {
    "suite": "tiny",
    "variables": {
        "template": ["pdigital_ws", "pdigital_os", "dimc", "aimc"],
        "d1": {"pow2": [4, 256]},  # 7
        "d2": {"pow2": [4, 256]},  # 7
        "sram_bytes": {"pow2": [8192, 1048576]},  # 8
        "macros": {"int": [1, 4], "templates": ["dimc", "aimc"]},  # x4 for IMC
        "input_bits": [2, 4, 8],  # 3  -> 7*7*8*3*(1+1+4+4) = 11,760 designs
    },
    "objectives": ["latency", "energy", "carbon_ca"],
}


# --real: the cost model on one MLPerf-Tiny network; 3*6*6*6*4*2*2 = 10,368 designs.
REAL_SPACE = {
    "workloads": ["ds_cnn"],
    "variables": {
        "template": ["pdigital_ws", "pdigital_os", "dimc"],
        "d1": {"pow2": [4, 128]},
        "d2": {"pow2": [4, 128]},
        "sram_bytes": {"pow2": [16384, 524288]},
        "node_nm": [28, 22, 14, 7],
        "weight_bits": [4, 8],
        "input_bits": [4, 8],
    },
    "objectives": ["latency", "energy", "carbon_ca"],
}


def synthetic(design: dict) -> DesignMetrics:
    """Closed-form mixed-variable trade-off (not a hardware model): latency vs energy vs carbon."""
    t = design["template"]
    pes = design["d1"] * design["d2"] * design.get("macros", 1)
    aspect = abs(np.log2(design["d1"] / design["d2"]))
    sram = design["sram_bytes"]
    bits = design["input_bits"]
    k = {"pdigital_ws": 1.0, "pdigital_os": 1.1, "dimc": 0.7, "aimc": 0.45}[t]
    lat = (2e6 / pes) * (1 + 0.15 * aspect) * (bits / 8) * (1 + 4e4 / sram)
    energy = k * (1e5 * bits / 8 + 40.0 * pes**0.8) * (1 + 3e4 / sram) + 0.002 * sram
    area = 0.002 * pes * k + sram * 2e-6
    carbon = 0.3 * area + energy * 1e-6 * (1 + lat * 1e-6)
    return DesignMetrics(
        summary={
            "feasible": True,
            "energy_pj": energy,
            "latency_ns": lat,
            "area_mm2": area,
            "carbon_ca_g": carbon,
            "meets_period": True,
        }
    )


def spec_for(
    solver: str,
    n_trials: int,
    seed: int,
    name: str,
    real: bool = False,
    objectives: list[str] | None = None,
):
    data = {
        **(REAL_SPACE if real else SPACE),
        "name": name,
        "solver": solver,
        "n_trials": n_trials,
        "seed": seed,
        "solver_options": {"pop_size": 40},
    }
    if objectives:
        data["objectives"] = list(objectives)
    return parse_study(data, "bench.yaml", project_dir=Path(tempfile.gettempdir()))


class TableMetrics:
    """Metrics served from the exhaustive run (counts distinct designs asked for)."""

    def __init__(self, table: dict[str, DesignMetrics]) -> None:
        self.table = table

    def __call__(self, design: dict) -> DesignMetrics:
        return self.table[design_key(design)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--real", action="store_true", help="use evaluate_design (slow)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", default=None, help="directory for the journals (default: temp)")
    ap.add_argument("--jobs", type=int, default=1, help="processes for the exhaustive grid")
    ap.add_argument("--no-overhead", action="store_true", help="skip the overhead measurement")
    ap.add_argument(
        "--solvers",
        default="nsga2,optuna-nsga2,optuna-tpe,grid",
        help="comma-separated solvers to compare (default: all)",
    )
    ap.add_argument(
        "--objectives",
        default=None,
        help="objectives compared (default: latency,energy,carbon_ca synthetic; "
        "latency,energy,area --real, where one design is best in latency, energy and CA carbon)",
    )
    ap.add_argument(
        "--overhead-only", action="store_true", help="only the study-loop overhead measurement"
    )
    ap.add_argument("--overhead-seeds", type=int, default=3, help="seeds per solver (overhead)")
    ap.add_argument("--overhead-trials", type=int, default=400, help="trials per run (overhead)")
    ap.add_argument(
        "--overhead-designs", type=int, default=24, help="designs timed with the cost model"
    )
    ap.add_argument(
        "--overhead-solvers", default="nsga2,grid", help="solvers of the overhead measurement"
    )
    ap.add_argument("--overhead-jobs", type=int, default=1, help="pool processes (overhead)")
    args = ap.parse_args(argv)
    overhead_args = {
        "seeds": args.overhead_seeds,
        "n_trials": args.overhead_trials,
        "n_designs": args.overhead_designs,
        "solvers": [x for x in args.overhead_solvers.split(",") if x],
        "jobs": args.overhead_jobs,
    }
    out = Path(args.out or tempfile.mkdtemp(prefix="bench_search_"))
    out.mkdir(parents=True, exist_ok=True)

    if args.overhead_only:
        overhead(out, **overhead_args)
        return 0
    objectives = (args.objectives or ("latency,energy,area" if args.real else "")).split(",")
    objectives = [o for o in objectives if o]
    grid_spec = spec_for("grid", 10**9, 0, "exhaustive", args.real)
    size = grid_spec.space.size()
    metrics_fn = grid_spec.evaluator() if args.real else synthetic
    print(
        f"design space: {size} designs; metrics: {'evaluate_design' if args.real else 'synthetic'}"
    )
    assert size >= 10_000, size

    # 1. exhaustive front via the grid solver, timed (study loop) ...
    t0 = time.perf_counter()
    s = StudySession(
        grid_spec.with_overrides(n_trials=size), str(out / "exhaustive.journal"), metrics_fn
    )
    with s.worker_pool(args.jobs) as pool:
        s.run(pool=pool)
    t_study = time.perf_counter() - t0
    print(f"exhaustive grid study: {size} trials in {t_study:.1f} s on the embedded journal")
    table = {
        k: DesignMetrics(summary={"feasible": ev.feasible, **ev.metrics})
        for k, ev in s.memo.cache.items()
    }
    # The exhaustive objective matrix under the compared objectives, from the stored metrics
    # (so the exhaustive study can be reused for other objectives without re-evaluation).
    probe = spec_for("grid", 1, 0, "probe", args.real, objectives)
    rows = [
        evaluation_from_metrics({}, m, probe.objectives, probe.constraints) for m in table.values()
    ]
    F = np.array([probe.memo_objective(synthetic).minimised(r.values) for r in rows if r.feasible])
    trials = F
    # Normalise by the exhaustive *front* (its ideal and nadir, reference 1.1): the usual setting;
    # normalising by the whole space would let any rough front score ~100 %.
    front_F = F[pareto_mask(F)]
    ideal, nadir = front_F.min(axis=0), front_F.max(axis=0)
    hv_full = normalised_hypervolume(F[pareto_mask(F)], ideal, nadir)
    print(
        f"exhaustive: {len(trials)} feasible, front {int(pareto_mask(F).sum())}, HV {hv_full:.5f}"
    )

    # 2. solvers at 2/5/10 % of the space
    lookup = TableMetrics(table)
    print(
        f"{'solver':14s} {'evals':>6s} {'%space':>7s} {'HV ratio mean':>14s} {'min':>7s} {'max':>7s}"
    )
    for solver in args.solvers.split(","):
        for frac in (0.02, 0.05, 0.10):
            budget = int(size * frac)
            ratios = []
            for seed in range(args.seeds):
                name = f"{solver}_{'-'.join(objectives) or 'default'}_{budget}_{seed}"
                spec = spec_for(solver, budget, seed, name, args.real, objectives)
                sess = StudySession(spec, str(out / f"{name}.journal"), lookup, seed=seed)
                sess.run()
                _, Fs = trial_matrix(
                    sess.trials([__import__("optuna").trial.TrialState.COMPLETE]), ["minimize"] * 3
                )
                hv = normalised_hypervolume(Fs[pareto_mask(Fs)], ideal, nadir)
                ratios.append(hv / hv_full)
                if solver == "grid":
                    break  # deterministic
            print(
                f"{solver:14s} {budget:6d} {frac * 100:6.0f}% {statistics.mean(ratios):14.4f} "
                f"{min(ratios):7.4f} {max(ratios):7.4f}",
                flush=True,
            )
    if not args.no_overhead:
        overhead(out, **overhead_args)
    return 0


# --- 3. study-loop overhead -----------------------------------------------------------------

OVERHEAD_STUDY = Path(__file__).resolve().parents[1] / "studies" / "tinyml.yaml"
# Where a trial's time goes (exclusive CPU/wall time of these methods; the rest is "other").
# Names missing from the code are skipped, so the script also measures older versions.
CATEGORIES = (
    "storage writes",
    "claims",
    "storage reads",
    "solver ask/tell",
    "pool/IPC",
    "other",
)
# Methods of StudySession and of its TrialLedger (each name is patched where it exists).
SESSION_METHODS = {
    "storage writes": ("complete", "skip", "fail", "finish"),
    "claims": ("_running_template", "claim", "yield_reason"),
    "storage reads": ("trials", "sync", "n_complete", "exhausted", "check_stale"),
}


class Timers:
    """Exclusive CPU and wall time per category of wrapped calls (main thread only)."""

    def __init__(self) -> None:
        self.cpu = dict.fromkeys(CATEGORIES, 0.0)
        self.wall = dict.fromkeys(CATEGORIES, 0.0)
        self.eval_cpu = 0.0
        self.eval_wall = 0.0
        self._stack: list[list[float]] = []
        self._patched: list[tuple[object, str, object, bool]] = []

    def wrap(self, category: str, fn: Any) -> Any:
        import threading

        main = threading.main_thread()

        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not main:
                return fn(*args, **kwargs)
            c0, w0 = time.process_time(), time.perf_counter()
            self._stack.append([0.0, 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                child_c, child_w = self._stack.pop()
                dc, dw = time.process_time() - c0, time.perf_counter() - w0
                if category == "evaluation":
                    self.eval_cpu += dc - child_c
                    self.eval_wall += dw - child_w
                else:
                    self.cpu[category] += dc - child_c
                    self.wall[category] += dw - child_w
                if self._stack:
                    self._stack[-1][0] += dc
                    self._stack[-1][1] += dw

        return timed

    def patch(self, owner: object, name: str, category: str) -> None:
        """Time ``owner.name`` (a class or an instance attribute) under ``category``."""
        if not hasattr(owner, name):
            return
        own = name in vars(owner)
        original = vars(owner)[name] if own else None
        setattr(owner, name, self.wrap(category, getattr(owner, name)))
        self._patched.append((owner, name, original, own))

    def unpatch(self) -> None:
        for owner, name, original, own in reversed(self._patched):
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._patched.clear()


def _instrument(timers: Timers) -> None:
    import optuna
    from pymoo.core.mixed import MixedVariableGA

    from carbonspot.search import storage as st
    from carbonspot.search.solvers import nsga2 as pymoo_solver
    from carbonspot.search.space import DesignSpace
    from carbonspot.search.trials import TrialLedger

    for category, names in SESSION_METHODS.items():
        for name in names:
            timers.patch(StudySession, name, category)
            timers.patch(TrialLedger, name, category)
    timers.patch(pymoo_solver.PymooNSGA2, "_save", "storage writes")  # checkpoint
    timers.patch(st.Heartbeat, "add", "storage writes")
    timers.patch(st.Heartbeat, "beat", "storage writes")
    timers.patch(MixedVariableGA, "ask", "solver ask/tell")
    timers.patch(MixedVariableGA, "tell", "solver ask/tell")
    timers.patch(optuna.Study, "ask", "solver ask/tell")
    timers.patch(DesignSpace, "suggest", "solver ask/tell")


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else math.nan


def _dist(values: Sequence[float], scale: float = 1e3) -> str:
    """``p50 / p90 / max`` of ``values`` (seconds) in ms."""
    return " / ".join(f"{_pct(values, q) * scale:7.2f}" for q in (50, 90, 100))


def _overhead_spec(solver: str, n_trials: int, seed: int, name: str, out: Path):
    import yaml

    data = yaml.safe_load(OVERHEAD_STUDY.read_text())
    data.update(name=name, solver=solver, n_trials=n_trials, seed=seed)
    return parse_study(data, str(OVERHEAD_STUDY), project_dir=out)


def _random_designs(space: Any, n: int, seed: int) -> list[dict]:
    """``n`` distinct designs drawn uniformly per variable (inactive variables dropped)."""
    rng = np.random.default_rng(seed)
    designs: dict[str, dict] = {}
    while len(designs) < n:
        values = {v.name: v.values[int(rng.integers(len(v.values)))] for v in space.variables}
        d = space.complete(values)
        designs.setdefault(design_key(d), d)
    return list(designs.values())


class LookupMetrics:
    """Real metrics of a few evaluated designs served for any design (no cost model call).

    The objective values are scaled by a factor derived from the design's key, so designs stay
    distinguishable for the solver; rows keep the real size (what the storage writes).
    """

    def __init__(self, table: Sequence[DesignMetrics]) -> None:
        self.table = list(table)

    def __call__(self, design: dict) -> DesignMetrics:
        import zlib

        h = zlib.crc32(design_key(design).encode())
        m = self.table[h % len(self.table)]
        f = 1.0 + (h % 1009) / 1009.0
        summary = dict(m.summary)
        for col, k in (("latency_ns", f), ("energy_pj", 3.0 - f), ("carbon_ca_g", f * f)):
            if isinstance(summary.get(col), float):
                summary[col] *= k
        return DesignMetrics(summary=summary, workloads=m.workloads)


def _run_loop(spec: Any, journal: Path, fn: Any, seed: int, jobs: int, timers: Timers | None):
    """Run one study; per-tick samples of (CPU, wall, evaluation CPU, trials evaluated)."""
    samples: list[tuple[float, float, float, int]] = []
    eval_cpu = [0.0]

    def metrics(design: dict) -> DesignMetrics:
        c0 = time.process_time()
        try:
            return fn(design)
        finally:
            eval_cpu[0] += time.process_time() - c0

    def probe(session: Any) -> None:
        samples.append((time.process_time(), time.perf_counter(), eval_cpu[0], session.n_evaluated))

    wrapped = timers.wrap("evaluation", metrics) if timers else metrics
    c0, w0 = time.process_time(), time.perf_counter()
    session = StudySession(spec, str(journal), wrapped, seed=seed, progress=probe)
    setup = (time.process_time() - c0, time.perf_counter() - w0)
    pool = session.worker_pool(jobs) if jobs > 1 else None
    if pool is not None and timers is not None:
        imap = pool.imap

        def timed_imap(*args: Any, **kwargs: Any) -> Any:
            # results are fetched lazily: time every next() (pickling, pipes, waiting)
            fetch = timers.wrap("pool/IPC", imap(*args, **kwargs).__next__)
            while True:
                try:
                    yield fetch()
                except StopIteration:
                    return

        pool.imap = timed_imap
    samples.append((time.process_time(), time.perf_counter(), eval_cpu[0], 0))
    try:
        session.run(pool=pool)
    finally:
        if pool is not None:
            pool.terminate()
    probe(session)
    return session, samples, setup


def _per_trial(samples: list[tuple[float, float, float, int]]) -> tuple[list, list]:
    """Overhead per trial (CPU and wall, evaluation excluded) of each tick interval with trials."""
    cpu, wall = [], []
    c_prev, w_prev, e_prev, n_prev = samples[0]
    for c, w, e, n in samples[1:]:
        if n > n_prev:
            cpu.append(((c - c_prev) - (e - e_prev)) / (n - n_prev))
            wall.append(((w - w_prev) - (e - e_prev)) / (n - n_prev))
            c_prev, w_prev, e_prev, n_prev = c, w, e, n
    return cpu, wall


def overhead(
    out: Path,
    seeds: int = 3,
    n_trials: int = 400,
    n_designs: int = 24,
    solvers: Sequence[str] = ("nsga2", "grid"),
    jobs: int = 1,
) -> None:
    """Per-trial cost of the study loop against the per-design cost of the real cost model.

    1. Evaluation: ``n_designs`` random designs of ``studies/tinyml.yaml`` (MLPerf-Tiny, fast
       mapper) through the study's own metrics function, CPU time each.
    2. Loop: each solver runs ``n_trials`` trials on a fresh embedded journal, ``seeds`` seeds,
       with those real metrics served by lookup (so the rows written are the real ones, but no
       evaluation time); the overhead of every batch (a generation for nsga2, a chunk for grid, a
       trial for the optuna samplers) divided by its trials gives the distribution.
    3. Split: one more instrumented run per solver: exclusive time per category.
    """
    from carbonspot import evaluate
    from carbonspot.search.solvers import pymoo_ga  # noqa: F401  (pymoo imported outside the timings)

    spec = _overhead_spec("nsga2", n_trials, 0, "overhead_eval", out)
    designs = _random_designs(spec.space, n_designs + 1, seed=12345)
    fn = spec.evaluator()
    fn(designs[0])  # workloads, imports and the compiled mapper's cache outside the timings
    evaluate.clear_cache()
    cpu, wall, table = [], [], []
    for d in designs[1:]:
        c0, w0 = time.process_time(), time.perf_counter()
        table.append(fn(d))
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    n_wl = len(table[0].workloads)
    print(
        f"evaluation (real cost model, mapper {spec.mapper}, {n_wl} workloads of "
        f"{spec.suite or ','.join(spec.workloads)}; {len(cpu)} random designs of "
        f"{OVERHEAD_STUDY.name}), ms per design p50 / p90 / max:\n"
        f"  CPU  {_dist(cpu)}\n  wall {_dist(wall)}"
    )
    eval_p50 = _pct(cpu, 50)
    lookup = LookupMetrics(table)

    for solver in solvers:
        all_cpu: list[float] = []
        all_wall: list[float] = []
        means, setups = [], []
        for seed in range(seeds):
            name = f"ovh_{solver.replace('-', '_')}_{seed}"
            journal = out / f"{name}.journal"
            journal.unlink(missing_ok=True)
            spec = _overhead_spec(solver, n_trials, seed, name, out)
            session, samples, setup = _run_loop(spec, journal, lookup, seed, jobs, None)
            c, w = _per_trial(samples)
            all_cpu += c
            all_wall += w
            first, last = samples[0], samples[-1]
            means.append(((last[0] - first[0]) - (last[2] - first[2])) / max(1, last[3]))
            setups.append(setup[0])
        # the split: one instrumented run (its wrappers add a few us per call)
        timers = Timers()
        _instrument(timers)
        name = f"ovh_{solver.replace('-', '_')}_split"
        journal = out / f"{name}.journal"
        journal.unlink(missing_ok=True)
        try:
            spec = _overhead_spec(solver, n_trials, 0, name, out)
            session, samples, _ = _run_loop(spec, journal, lookup, 0, jobs, timers)
        finally:
            timers.unpatch()
        n = max(1, session.n_evaluated)
        mean = statistics.mean(means)
        print(
            f"\n{solver}: {n_trials} trials x {seeds} seeds on the embedded journal"
            f"{f', {jobs} pool processes' if jobs > 1 else ''}; per-trial overhead "
            f"(evaluation excluded), ms, p50 / p90 / max over {len(all_cpu)} batches:\n"
            f"  CPU  {_dist(all_cpu)}   (mean {mean * 1e3:.2f}; session open "
            f"{statistics.mean(setups) * 1e3:.0f} ms once)\n"
            f"  wall {_dist(all_wall)}\n"
            f"  overhead / evaluation CPU (p50 {eval_p50 * 1e3:.1f} ms): mean "
            f"{mean / eval_p50 * 100:.1f} %, p90 {_pct(all_cpu, 90) / eval_p50 * 100:.1f} %"
        )
        total_c = sum(timers.cpu.values())
        other_c = (samples[-1][0] - samples[0][0]) - timers.eval_cpu - total_c
        other_w = (samples[-1][1] - samples[0][1]) - timers.eval_wall - sum(timers.wall.values())
        timers.cpu["other"] += other_c
        timers.wall["other"] += other_w
        print(f"  split (instrumented run, {n} trials), ms per trial CPU / wall:")
        for cat in CATEGORIES:
            if timers.cpu[cat] or timers.wall[cat]:
                print(
                    f"    {cat:16s} {timers.cpu[cat] / n * 1e3:6.3f} / "
                    f"{timers.wall[cat] / n * 1e3:6.3f}"
                )
        size = journal.stat().st_size
        print(f"  journal: {size / n / 1024:.1f} KiB per trial", flush=True)


if __name__ == "__main__":
    sys.exit(main())
