"""Run ZigZag (zigzag-dse, v3 API) on single-layer jobs and print JSON — for bench_mapper.py.

Runs ONLY under the separate interpreter named by $ZIGZAG_PYTHON (a virtualenv with zigzag-dse);
CarbonSpot never imports zigzag. Usage::

    $ZIGZAG_PYTHON benchmarks/_zigzag_runner.py jobs.json > results.json

``jobs.json``: {"jobs": [{"name", "accelerator", "workload", "mapping", "opt", "imc",
"lpf_limit", "mix"}]} (``mix``, default true: mixed spatial unrollings, as the original
CarbonSpot's ZigZag fork always generated them, carbonspot-model.md §9.1) with paths to ZigZag v3 YAML files. Output: {"results": [{"name", "seconds",
"energy_pj", "latency_cycles", "error"}]}, times measured around each API call.
"""

import json
import logging
import os
import sys
import tempfile
import time

logging.basicConfig(level=logging.ERROR)
logging.getLogger().setLevel(logging.ERROR)


def main(path):
    from zigzag.api import get_hardware_performance_zigzag

    with open(path) as fh:
        jobs = json.load(fh)["jobs"]
    results = []
    with tempfile.TemporaryDirectory() as out:
        for i, job in enumerate(jobs):
            dump = os.path.join(out, str(i))
            start = time.perf_counter()
            try:
                res = get_hardware_performance_zigzag(
                    job["workload"],
                    job["accelerator"],
                    job["mapping"],
                    opt=job.get("opt", "EDP"),
                    dump_folder=dump,
                    lpf_limit=job.get("lpf_limit", 6),
                    in_memory_compute=job.get("imc", False),
                    enable_mix_spatial_mapping=job.get("mix", True),
                    loma_show_progress_bar=False,
                )
                seconds = time.perf_counter() - start
                results.append(
                    {
                        "name": job["name"],
                        "seconds": seconds,
                        "energy_pj": float(res[0]),
                        "latency_cycles": float(res[1]),
                        "error": None,
                    }
                )
            except Exception as exc:  # report, keep going
                results.append(
                    {
                        "name": job["name"],
                        "seconds": time.perf_counter() - start,
                        "energy_pj": None,
                        "latency_cycles": None,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                )
    json.dump({"results": results}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
