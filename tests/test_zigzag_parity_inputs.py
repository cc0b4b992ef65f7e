"""zigzag-dse 3.9.1's own example inputs load (issue 13), and the ZigZag 3.9.1 rules we follow.

The inputs are the wheel's files as copied into ``tests/data/zigzag391/`` (README there): 11
hardware files, 14 mapping files, the 3 ONNX workloads (``resnet18.onnx`` and
``mobilenetv2.onnx`` are the copies in ``tests/data/onnx/``; ``alexnet.onnx`` differs from
that one and is kept in ``tests/data/zigzag391/workload/``) and ZigZag's ``gemm_layer.yaml``.
Anything read but not applied warns with the key's name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from carbonspot.cli import main
from carbonspot.cost import model as cm
from carbonspot.errors import InputError, InputWarning
from carbonspot.evaluate import evaluate_layer, evaluate_workload
from carbonspot.hardware.readers import load_accelerator
from carbonspot.mapping.readers.yaml import load_mapping
from carbonspot.workload.zoo import load_workload

DATA = Path(__file__).resolve().parent / "data"
ZZ = DATA / "zigzag391"
RESNET18 = DATA / "onnx" / "resnet18.onnx"
GEMM_DIMS = {"D0": "B", "D1": "K", "D2": "C"}  # O[d0][d1] += I[d0][d2] * W[d2][d1]


def _warnings(load, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = load(path)
    return obj, [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


HARDWARE_WARNINGS = {"tpu_like.yaml": "ports", "gemm_l1_l3.yaml": "force_double_buffering"}


@pytest.mark.parametrize("path", sorted((ZZ / "hardware").glob("*.yaml")), ids=lambda p: p.name)
def test_every_wheel_hardware_file_loads(path):
    acc, msgs = _warnings(lambda p: load_accelerator(str(p), "corrected"), path)
    assert acc.memories
    key = HARDWARE_WARNINGS.get(path.name)
    assert [key in m for m in msgs] == ([True] if key else [])


def test_the_wheel_has_11_hardware_and_14_mapping_files():
    assert len(list((ZZ / "hardware").glob("*.yaml"))) == 11
    assert len(list((ZZ / "mapping").glob("*.yaml"))) == 14


TEMPORAL_ORDERING = {"gemm_l1.yaml": "[0]", "gemm_l1_l3.yaml": "[0]", "tpu_like.yaml": "[3]"}


@pytest.mark.parametrize("path", sorted((ZZ / "mapping").glob("*.yaml")), ids=lambda p: p.name)
def test_every_wheel_mapping_file_loads(path):
    spec, msgs = _warnings(load_mapping, path)
    assert "default" in dict(spec.entries)
    entry = TEMPORAL_ORDERING.get(path.name)
    if entry is None:
        assert msgs == []
    else:
        (msg,) = msgs
        assert f"{entry}.temporal_ordering" in msg and "ignored" in msg


@pytest.mark.parametrize(
    ("path", "costed"),
    [
        (ZZ / "workload" / "alexnet.onnx", 8),
        (DATA / "onnx" / "mobilenetv2.onnx", 53),
        (RESNET18, 21),
    ],  # fmt: skip
    ids=lambda v: getattr(v, "name", str(v)),
)
def test_the_wheel_onnx_workloads_load(path, costed):
    assert len(load_workload(path).compute_layers) == costed


def test_gemm_mapping_names_generic_dims_until_renamed():
    spec, _ = _warnings(load_mapping, ZZ / "mapping" / "gemm_l1.yaml")
    wl = load_workload(ZZ / "workload" / "gemm_layer.yaml")
    (layer,) = wl.compute_layers
    with pytest.raises(InputError, match="D0"):
        spec.spatial_for(layer)
    spec = spec.with_dim_names(GEMM_DIMS)
    assert spec.spatial_for(layer).as_dict() == {
        "D1": [("B", 8.0)], "D2": [("C", 8.0)], "D3": [("K", 8.0)]
    }  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        acc = load_accelerator(str(ZZ / "hardware" / "gemm_l1.yaml"), "corrected")
    res = evaluate_workload(acc, wl, "energy", mapping=spec, data_locality=False)
    assert res.feasible
    with pytest.raises(InputError, match="unknown loop dims"):
        spec.with_dim_names({"D0": "Q"})


def test_cli_runs_tpu_like_as_shipped_and_warns(capsys):
    argv = ["evaluate", "--accelerator", str(ZZ / "hardware" / "tpu_like.yaml"),
            "--mapping", str(ZZ / "mapping" / "tpu_like.yaml"), "--workload", str(RESNET18),
            "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["feasible"] is True
    assert "carbonspot: warning:" in out.err and "temporal_ordering" in out.err


def test_reduce_ordered_is_zigzag_391s_largest_first_reduction():
    # zigzag-dse 3.9.1, cost_model.reduce_ordered on tpu_like's DRAM port for resnet18
    # layer3.0.downsample: O off-loading 6272, W 4096, I 3136 cycles, floors 1, surplus 6272
    tot = np.array([[6272.0, 4096.0, 3136.0]])
    lo = np.ones((1, 3))
    out = cm._reduce_ordered(tot, lo, np.array([6272.0]), [2, 1, 0])
    assert out.tolist() == [[1.0, 4095.0, 3136.0]]  # ZigZag: offloading 1, W on-loading 4095
    # ties go to the lower rank (inputs before weights before outputs), floors hold
    out = cm._reduce_ordered(np.array([[10.0, 10.0]]), np.array([[4.0, 2.0]]), np.array([7.0]),
                             [1, 0])  # fmt: skip
    assert out.tolist() == [[10.0, 3.0]]  # the rank-0 one first: 10 - 7; none left
    # a transfer that cannot shrink (floor = total) keeps its cycles
    out = cm._reduce_ordered(np.array([[8.0, 5.0]]), np.array([[8.0, 1.0]]), np.array([100.0]),
                             [0, 1])  # fmt: skip
    assert out.tolist() == [[8.0, 1.0]]


def _tpu():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        acc = load_accelerator(str(ZZ / "hardware" / "tpu_like.yaml"), "corrected")
        spec = load_mapping(ZZ / "mapping" / "tpu_like.yaml")
    return acc, spec


def test_systolic_drain_uses_the_unrolling_clipped_to_the_layer():
    # zigzag-dse 3.9.1 on tpu_like, resnet18 conv1 (C = 3 under a "C, 32" unrolling):
    # systolic_drain_cycle = (32 - 1) + (3 - 1) = 33
    acc, spec = _tpu()
    layer = load_workload(RESNET18).compute_layers[0]
    full = {op: len(acc.levels(op)) for op in "IWO"}
    res = evaluate_layer(layer, acc, "energy", mapping=spec, n_levels=full)
    assert res.latency_breakdown_cycles["systolic_drain"] == 33


def test_a_fixed_spatial_mapping_does_not_load_the_compiled_kernel():
    # the loop orders of one spatial mapping are searched with numpy (same optimum)
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from carbonspot.evaluate import evaluate_workload\n"
        "from carbonspot.hardware.readers import load_accelerator\n"
        "from carbonspot.mapping.readers.yaml import load_mapping\n"
        "from carbonspot.workload.zoo import load_workload\n"
        f"acc = load_accelerator({str(ZZ / 'hardware' / 'tpu_like.yaml')!r}, 'corrected')\n"
        f"m = load_mapping({str(ZZ / 'mapping' / 'tpu_like.yaml')!r})\n"
        f"wl = load_workload({str(RESNET18)!r})\n"
        "r = evaluate_workload(acc, wl, 'energy', mapping=m, mapper='fast')\n"
        "print(r.energy_pj, 'carbonspot.mapper.fast' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    energy, loaded = out.stdout.split()
    assert loaded == "False"
    acc, spec = _tpu()
    ref = evaluate_workload(acc, load_workload(RESNET18), "energy", mapping=spec,
                            mapper="exhaustive")  # fmt: skip
    assert float(energy) == pytest.approx(ref.energy_pj, rel=1e-12)
