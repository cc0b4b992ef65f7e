"""Run ZigZag (zigzag-dse, v3 API) on jobs and print JSON — for bench_mapper.py, bench_zigzag.py.

Runs ONLY under the separate interpreter named by $ZIGZAG_PYTHON (a virtualenv with zigzag-dse);
CarbonSpot never imports zigzag. Usage::

    $ZIGZAG_PYTHON benchmarks/_zigzag_runner.py jobs.json > results.json

``jobs.json``: {"jobs": [{"name", "accelerator", "workload", "mapping", "opt", "imc",
"lpf_limit", "mix", "exploit_data_locality"}]} with paths to ZigZag v3 YAML files (the
workload may also be an ``.onnx`` file). ``mix`` (default true: mixed spatial unrollings, as
the original CarbonSpot's ZigZag fork always generated them, carbonspot-model.md §9.1) and
``exploit_data_locality`` (default false, zigzag-dse's default) are passed to
``get_hardware_performance_zigzag``; ``api_defaults: true`` calls it with zigzag-dse's own
defaults for everything but ``opt``, ``lpf_limit``, ``in_memory_compute`` and
``exploit_data_locality``.

Output: {"zigzag_version", "results": [{"name", "seconds", "cpu_seconds", "energy_pj",
"latency_cycles", "mac_energy_pj", "spatial_mapping", "temporal_mapping", "memories",
"layers", "error"}]}: times measured around each API call (wall and this process's CPU);
``spatial_mapping`` is ZigZag's chosen unrolling ``{array dim: {layer dim: size}}`` and
``temporal_mapping`` its chosen loop nest ``{operand: [[[layer dim, size], ...] per memory
level, bottom-up]}`` with operands named I, W, O, and ``memories`` the names of those levels
``{operand: [name, ...]}`` after ZigZag's unused-memory removal (of the first layer, for
bench_mapper.py's single-layer jobs). ``layers`` has one entry per costed layer, in ZigZag's
order, with those three fields and the breakdowns: ``energy_pj``, ``mac_energy_pj``,
``mem_energy_pj`` ``{operand: {memory: pJ}}``, ``mem_energy_dir_pj`` ``{operand: {memory:
{direction: pJ}}}``, ``accesses`` (words, same shape), and ``latency`` ``{ideal_cycle,
ideal_temporal_cycle, stall, onloading, offloading, systolic_drain, total}`` (ZigZag's
``latency_total2`` and its terms).
"""

import json
import logging
import os
import sys
import tempfile
import time

logging.basicConfig(level=logging.ERROR)
logging.getLogger().setLevel(logging.ERROR)


def _mapping_of(cme):
    """ZigZag's (spatial, temporal, memories) mapping of one layer's cost model evaluation."""
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
    return spatial, temporal, memories


def _four_way(value):
    return {str(k.value if hasattr(k, "value") else k): float(v) for k, v in value.data.items()}


def _layer_record(cme):
    """Everything bench_zigzag.py compares for one layer."""
    spatial, temporal, memories = _mapping_of(cme)
    mem_e, mem_dir, acc = {}, {}, {}
    for lop, per_level in cme.mem_energy_breakdown.items():
        name = str(lop)
        names = memories.get(name, [str(i) for i in range(len(per_level))])
        mem_e[name] = {n: float(v) for n, v in zip(names, per_level, strict=False)}
        further = cme.mem_energy_breakdown_further.get(lop, [])
        mem_dir[name] = {n: _four_way(v) for n, v in zip(names, further, strict=False)}
        words = cme.memory_word_access.get(lop, [])
        acc[name] = {n: _four_way(v) for n, v in zip(names, words, strict=False)}
    return {
        "id": int(cme.layer.id),
        "name": str(cme.layer.name),
        "type": str(cme.layer.type),
        "energy_pj": float(cme.energy_total),
        "mac_energy_pj": float(cme.mac_energy),
        "mem_energy_pj": mem_e,
        "mem_energy_dir_pj": mem_dir,
        "accesses": acc,
        "latency": {
            "ideal_cycle": float(cme.ideal_cycle),
            "ideal_temporal_cycle": float(cme.ideal_temporal_cycle),
            "stall": float(cme.stall_slack_comb),
            "onloading": float(cme.data_onloading_cycle),
            "offloading": float(cme.data_offloading_cycle),
            "systolic_drain": float(getattr(cme, "systolic_drain_cycle", 0.0)),
            "total": float(cme.latency_total2),
        },
        "spatial_mapping": spatial,
        "temporal_mapping": temporal,
        "memories": memories,
    }


def _run(job, dump):
    from zigzag.api import get_hardware_performance_zigzag

    kwargs = {
        "opt": job.get("opt", "EDP"),
        "dump_folder": dump,
        "lpf_limit": job.get("lpf_limit", 6),
        "in_memory_compute": job.get("imc", False),
        "exploit_data_locality": job.get("exploit_data_locality", False),
        "loma_show_progress_bar": False,
    }
    if not job.get("api_defaults", False):
        kwargs["enable_mix_spatial_mapping"] = job.get("mix", True)
    return get_hardware_performance_zigzag(
        job["workload"], job["accelerator"], job["mapping"], **kwargs
    )


def main(path):
    import zigzag

    with open(path) as fh:
        jobs = json.load(fh)["jobs"]
    results = []
    with tempfile.TemporaryDirectory() as out:
        for i, job in enumerate(jobs):
            dump = os.path.join(out, str(i))
            start, cpu = time.perf_counter(), time.process_time()
            try:
                res = _run(job, dump)
                seconds = time.perf_counter() - start
                cpu_seconds = time.process_time() - cpu
                layers = [_layer_record(cme) for cme, _ in res[-1][0][1]]
                first = layers[0]
                results.append(
                    {
                        "name": job["name"],
                        "seconds": seconds,
                        "cpu_seconds": cpu_seconds,
                        "energy_pj": float(res[0]),
                        "latency_cycles": float(res[1]),
                        "mac_energy_pj": sum(la["mac_energy_pj"] for la in layers),
                        "spatial_mapping": first["spatial_mapping"],
                        "temporal_mapping": first["temporal_mapping"],
                        "memories": first["memories"],
                        "layers": layers,
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
    json.dump({"zigzag_version": zigzag.__version__, "results": results}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
