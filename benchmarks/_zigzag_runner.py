"""Run ZigZag (zigzag-dse, v3 API) on single-layer jobs and print JSON — for bench_mapper.py.

Runs ONLY under the separate interpreter named by $ZIGZAG_PYTHON (a virtualenv with zigzag-dse);
CarbonSpot never imports zigzag. Usage::

    $ZIGZAG_PYTHON benchmarks/_zigzag_runner.py jobs.json > results.json

``jobs.json``: {"jobs": [{"name", "accelerator", "workload", "mapping", "opt", "imc",
"lpf_limit", "mix"}]} (``mix``, default true: mixed spatial unrollings, as the original
CarbonSpot's ZigZag fork always generated them, carbonspot-model.md §9.1) with paths to ZigZag
v3 YAML files. Output: {"results": [{"name", "seconds", "cpu_seconds", "energy_pj",
"latency_cycles", "mac_energy_pj", "spatial_mapping", "temporal_mapping", "error"}]}: times
measured around each API call (wall and this process's CPU); ``spatial_mapping`` is ZigZag's
chosen unrolling ``{array dim: {layer dim: size}}`` and ``temporal_mapping`` its chosen loop
nest ``{operand: [[[layer dim, size], ...] per memory level, bottom-up]}`` with operands named
I, W, O, and ``memories`` the names of those levels ``{operand: [name, ...]}`` after ZigZag's
unused-memory removal (so bench_mapper.py can cost ZigZag's choice in CarbonSpot's model).
"""

import json
import logging
import os
import sys
import tempfile
import time

logging.basicConfig(level=logging.ERROR)
logging.getLogger().setLevel(logging.ERROR)


def _chosen(res):
    """ZigZag's chosen (spatial, temporal) mapping of the single layer of a job."""
    cme = res[-1][0][1][0][0]  # [(cumulative CME, [(layer CME, extra)])], last in the tuple
    spatial = {
        str(oa): {str(d): float(s) for d, s in m.items()}
        for oa, m in cme.layer.spatial_mapping.items()
    }
    temporal, memories = {}, {}
    hierarchy = cme.accelerator.memory_hierarchy
    for lop, levels in cme.temporal_mapping.mapping_dic_origin.items():
        name = str(lop)
        temporal[name] = [[[str(d), float(s)] for d, s in lv] for lv in levels]
        mem_op = cme.layer.memory_operand_links.layer_to_mem_op(lop)
        memories[name] = [str(m.name) for m in hierarchy.get_memory_levels(mem_op)]
    return spatial, temporal, memories, float(cme.mac_energy)


def main(path):
    from zigzag.api import get_hardware_performance_zigzag

    with open(path) as fh:
        jobs = json.load(fh)["jobs"]
    results = []
    with tempfile.TemporaryDirectory() as out:
        for i, job in enumerate(jobs):
            dump = os.path.join(out, str(i))
            start, cpu = time.perf_counter(), time.process_time()
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
                cpu_seconds = time.process_time() - cpu
                spatial, temporal, memories, mac = _chosen(res)
                results.append(
                    {
                        "name": job["name"],
                        "seconds": seconds,
                        "cpu_seconds": cpu_seconds,
                        "energy_pj": float(res[0]),
                        "latency_cycles": float(res[1]),
                        "mac_energy_pj": mac,
                        "spatial_mapping": spatial,
                        "temporal_mapping": temporal,
                        "memories": memories,
                        "error": None,
                    }
                )
            except Exception as exc:  # report, keep going
                results.append(
                    {
                        "name": job["name"],
                        "seconds": time.perf_counter() - start,
                        "cpu_seconds": time.process_time() - cpu,
                        "energy_pj": None,
                        "latency_cycles": None,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                )
    json.dump({"results": results}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
