"""Search quality and study-loop overhead of the study solvers.

1. Exhaustive front: ``grid`` evaluates every design of a >= 10,000-point space (stored as
   trials in a journal, as a user would run it); its hypervolume is the 100 % mark.
2. Each solver (pymoo ``nsga2``, ``optuna-nsga2``, ``optuna-tpe``, and ``grid`` in file order)
   runs with budgets of 2 %, 5 % and 10 % of the space, 5 seeds each; the script prints the mean
   hypervolume ratio (normalised by the exhaustive front's ideal/nadir, reference 1.1).
   Evaluations come from the exhaustive run's table (the metrics are deterministic), so the
   figures measure the search, not the cost model.
3. Overhead: wall time of a ``grid`` study on the embedded journal vs. the same evaluations
   called bare, with the real cost model (``evaluate_design``) on one workload.

The design space uses the real cost model when ``--real`` is given (slow: ~10k evaluations of
MLPerf-Tiny); by default it uses a synthetic closed-form trade-off over the same kind of mixed
space, which makes the benchmark run in minutes. Usage::

    python benchmarks/bench_search.py [--real] [--seeds 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from carbonspot.io.study_file import parse_study
from carbonspot.search.objective import DesignMetrics, evaluation_from_metrics
from carbonspot.search.pareto import normalised_hypervolume, pareto_mask
from carbonspot.search.runner import StudySession, make_pool, trial_matrix
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
    args = ap.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="bench_search_"))
    out.mkdir(parents=True, exist_ok=True)

    if args.overhead_only:
        overhead(out, args.real)
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
    s.run(pool=make_pool(s.memo, args.jobs))
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
        overhead(out, args.real)
    return 0


OVERHEAD_SPACE = {
    "name": "overhead",
    "workloads": ["ae", "ds_cnn"],
    "variables": {
        "template": ["pdigital_ws", "pdigital_os", "dimc"],
        "d1": {"pow2": [8, 32]},
        "d2": {"pow2": [8, 32]},
    },
    "objectives": ["latency", "energy", "carbon_ca"],
    "solver": "grid",
    "n_trials": 1000,
}


def overhead(out: Path, real_space: bool) -> None:
    """Study loop (grid on the embedded journal) vs the same evaluate_design calls, bare.

    The cost model's caches are cleared before each of the two timings so both pay the same
    evaluation work.
    """
    from carbonspot import evaluate

    spec = parse_study(OVERHEAD_SPACE, "overhead.yaml", project_dir=out)
    designs = list(spec.space.grid())
    fn = spec.evaluator()
    fn(designs[0])  # load workloads and imports outside both timings
    evaluate.clear_cache()
    t0 = time.perf_counter()
    for d in designs:
        fn(d)
    t_bare = time.perf_counter() - t0
    evaluate.clear_cache()
    t0 = time.perf_counter()
    s = StudySession(spec, str(out / "overhead.journal"), fn)
    s.run()
    t_study = time.perf_counter() - t0
    n = len(designs)
    print(
        f"overhead (evaluate_design, {n} designs x {len(OVERHEAD_SPACE['workloads'])} workloads): "
        f"bare {t_bare:.2f} s, study loop {t_study:.2f} s -> "
        f"{(t_study - t_bare) / n * 1e3:.1f} ms per trial, "
        f"{(t_study - t_bare) / t_bare * 100:.1f} % over the bare evaluations"
    )


if __name__ == "__main__":
    sys.exit(main())
