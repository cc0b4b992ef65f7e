"""Analytic test problem for the study plumbing (solvers, storage, resumption, workers).

Not a hardware model: a cheap, deterministic ``design -> metrics`` function over real template
parameter names, with a known trade-off (more PEs: faster but more energy and area) and one
infeasible corner, so the solver/storage tests do not depend on the cost model's speed. The real
objective (``evaluate_design``) is exercised by tests/test_study_cli.py.

Run as a script to drive a study in a subprocess:
``python tests/study_problem.py STUDY.yaml STORAGE SEED [SLEEP_S]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from carbonspot.search.objective import DesignMetrics

SLEEP_S = 0.0

STUDY_YAML = """
name: {name}
suite: tiny
variables:
  template: [pdigital_ws, aimc]
  d1: {{pow2: [4, 64]}}
  d2: {{pow2: [4, 64]}}
  sram_bytes: {{pow2: [1024, 4096]}}
  macros: {{int: [1, 4], templates: [aimc]}}
objectives: [latency, energy, area]
constraints: {{max_area_mm2: 4}}
solver: {solver}
solver_options: {{pop_size: 8}}
n_trials: {n_trials}
seed: 0
"""


def metrics(design: dict) -> DesignMetrics:
    """Latency falls and energy/area rise with the PE count; d1 = d2 = 4 is infeasible."""
    if SLEEP_S:
        time.sleep(SLEEP_S)
    d1, d2 = design["d1"], design["d2"]
    sram = design.get("sram_bytes", 1024)
    pes = d1 * d2 * design.get("macros", 1)
    latency = 1e6 / pes + 1e8 / sram
    energy = pes * 10.0 + sram * 0.01 + (50.0 if design["template"] == "aimc" else 0.0)
    area = pes * 1e-3 + sram * 1e-5
    feasible = not (d1 == 4 and d2 == 4)
    return DesignMetrics(
        summary={
            "feasible": feasible,
            "reason": "" if feasible else "array too small (test rule)",
            "energy_pj": energy,
            "latency_ns": latency,
            "area_mm2": area,
            "meets_period": True,
        },
        workloads={"w": {"energy_pj": energy, "energy_mem_pj": sram * 0.01}},
    )


def write_study(directory: Path, name: str, solver: str, n_trials: int) -> Path:
    """A study file of the analytic problem in ``directory``."""
    path = directory / f"{name}.yaml"
    path.write_text(STUDY_YAML.format(name=name, solver=solver, n_trials=n_trials))
    return path


def main(argv: list[str]) -> int:
    global SLEEP_S
    from carbonspot.search.files.study_file import load_study_file
    from carbonspot.search.session import StudySession

    spec_path, storage, seed = argv[0], argv[1], int(argv[2])
    SLEEP_S = float(argv[3]) if len(argv) > 3 else 0.0
    spec = load_study_file(spec_path)
    outcome = StudySession(spec, storage, metrics_fn=metrics, seed=seed).run()
    print(f"evaluated={outcome.n_evaluated} complete={outcome.n_complete}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
