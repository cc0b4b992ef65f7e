"""ZigZag 3.9.1 semantics that CarbonSpot reproduces: systolic drain, duplicate keys, loading.

Reference: zigzag-dse 3.9.1, ``cost_model/cost_model.py`` (``latency_total2`` adds
``systolic_drain_cycle`` = sum over systolic dimensions of ceil(spatial utilisation) - 1).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from carbonspot.errors import InputError
from carbonspot.evaluate import evaluate_workload
from carbonspot.hardware.readers.zigzag import accelerator_from_zigzag
from carbonspot.workload import zoo
from carbonspot.yaml_file import read_yaml_file

HW = Path(__file__).resolve().parent / "data" / "zigzag_hw"


def _tpu(systolic):
    doc = read_yaml_file(HW / "tpu_like.yaml")
    if systolic is not None:
        doc["operational_array"]["systolic_dimensions"] = systolic
    return accelerator_from_zigzag(doc, "corrected", source="tpu_like.yaml")


def test_systolic_drain_is_unrolling_minus_one_per_systolic_dimension():
    wl = zoo.load_workload("resnet8")
    plain = evaluate_workload(_tpu(None), wl, objective="energy")
    systolic = evaluate_workload(_tpu(["D1", "D2"]), wl, objective="energy")
    assert plain.feasible and systolic.feasible
    assert "systolic_drain" not in plain.latency_breakdown_cycles
    for a, b in zip(plain.layers, systolic.layers, strict=True):
        unroll = {oa: math.prod(s for _, s in loops) for oa, loops in b.spatial_mapping.items()}
        drain = sum(max(math.ceil(unroll.get(d, 1)) - 1, 0) for d in ("D1", "D2"))
        assert b.latency_breakdown_cycles["systolic_drain"] == drain
        assert b.latency_cycles == a.latency_cycles + drain  # the same mapping otherwise
        assert b.energy_pj == a.energy_pj  # draining costs no energy in ZigZag's model
    assert systolic.latency_breakdown_cycles["systolic_drain"] > 0


def test_systolic_dimensions_must_name_array_dimensions():
    with pytest.raises(InputError, match="systolic_dimensions"):
        _tpu(["D7"])
