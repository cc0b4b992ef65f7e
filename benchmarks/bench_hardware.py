"""Time the hardware models: template builds, area/clock/peak per design, SRAM table lookups.

Prints per-operation wall times (best of ``--repeat`` runs) for:

* building all 104 tiny-sweep designs (4 templates × 26 (SRAM, d) pairs) and computing their
  area, clock and peak metrics under both presets;
* one vectorised ``sram_cost`` call over 100 000 (size, width) candidates;
* one vectorised IMC ``layer_energy_pj`` call over 100 000 mapping candidates;
* ``carbonspot validate imc`` (7 chips).

    python benchmarks/bench_hardware.py [--repeat 5]

Numbers on a busy machine are not meaningful; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from carbonspot.hardware import figures as cost_hw
from carbonspot.hardware import imc, memory
from carbonspot.hardware.templates import build_template
from carbonspot.hardware.validation import validate_imc

SRAMS = (8192, 32768, 131072, 524288, 1048576)
DIMS = (32, 64, 128, 256, 512, 1024)


def tiny_designs(preset: str) -> int:
    n = 0
    for name in ("pdigital_os", "pdigital_ws", "aimc", "dimc"):
        for s in SRAMS:
            for d in DIMS:
                if s / (2 * d) < 32:
                    continue
                acc = build_template(name, {"dim": d, "sram_bytes": s}, preset)
                cost_hw.accelerator_area_mm2(acc, preset)
                cost_hw.accelerator_tclk_ns(acc, preset)
                cost_hw.peak_metrics(acc, preset)
                n += 1
    return n


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for preset in ("carbonspot2025", "corrected"):
        t, n = best(lambda p=preset: tiny_designs(p), args.repeat)
        print(
            f"tiny designs ({preset}): {n} designs in {t * 1e3:.1f} ms "
            f"({t / n * 1e6:.0f} us/design)"
        )
    size = 2.0 ** rng.integers(13, 30, 100_000)
    bw = 2.0 ** rng.integers(6, 14, 100_000)
    t, _ = best(lambda: memory.sram_cost(size, bw), args.repeat)
    print(f"sram_cost, 100000 candidates: {t * 1e3:.1f} ms")
    arr = build_template("dimc", {"dim": 128}).array
    cols = rng.uniform(1, 128, 100_000)
    rows = np.ceil(rng.uniform(1, 128, 100_000))
    t, _ = best(lambda: imc.layer_energy_pj(arr, cols, rows, rows, 1000.0, 8, 8), args.repeat)
    print(f"imc.layer_energy_pj (DIMC 128), 100000 candidates: {t * 1e3:.1f} ms")
    t, _ = best(validate_imc, args.repeat)
    print(f"validate_imc (7 chips): {t * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
