"""``data_locality``: graph-based pruning (default) or zigzag-dse's whole hierarchy (off)."""

from __future__ import annotations

from carbonspot.evaluate import evaluate_workload
from carbonspot.hardware.readers import load_accelerator
from carbonspot.workload import zoo


def test_off_sends_every_layers_activations_to_and_from_the_top_memory():
    wl = zoo.load_workload("resnet8")
    acc = load_accelerator("pdigital_ws:dim=32,sram_bytes=131072", "corrected", wl.weight_bytes)
    on = evaluate_workload(acc, wl, objective="energy")
    off = evaluate_workload(acc, wl, objective="energy", data_locality=False)
    assert on.feasible and off.feasible
    top = acc.levels("O")[-1].name
    # zigzag-dse's default (exploit_data_locality=False): every layer reads I from and writes
    # O to the top memory
    for layer in off.layers:
        assert f"mem:{top}:I" in layer.energy_breakdown_pj, layer.layer
        assert f"mem:{top}:O" in layer.energy_breakdown_pj, layer.layer
    # with pruning, resnet8's chain layers keep their small outputs on chip
    assert any(f"mem:{top}:O" not in la.energy_breakdown_pj for la in on.layers)
    assert off.energy_pj > on.energy_pj
    # same array energy: only the memory traffic differs
    assert sum(la.energy_breakdown_pj["array"] for la in on.layers) == sum(
        la.energy_breakdown_pj["array"] for la in off.layers
    )
