"""Layer/Workload semantics: relevance, partially-relevant input sizes, operand sizes."""

from __future__ import annotations

import pytest

from carbonspot.workload.model import LOOP_DIMS, Layer, Precision, Workload, pr_extent


def test_pr_extent_examples() -> None:
    # zigzag-model.md §3.2: ix = 2*ox + 1*fx with OX=112, FX=7 → 229; stride 1 → A + B - 1
    assert pr_extent(112, 7, 2, 1) == 229
    assert pr_extent(10, 3, 1, 1) == 12
    # dilation 2, stride 1: 5 outputs x 3 taps → 5 + 2*2 = 9 input columns
    assert pr_extent(5, 3, 1, 2) == 9


def test_conv_relevance_and_sizes() -> None:
    layer = Layer(
        "c",
        "Conv",
        {"K": 8, "C": 4, "OY": 6, "OX": 5, "FY": 3, "FX": 2},
        stride=(2, 1),
        padding=(1, 0, 0, 1),
    )
    assert layer.irrelevant("W") == {"B", "OY", "OX"}
    assert layer.irrelevant("O") == {"C", "FY", "FX"}
    assert layer.irrelevant("I") == {"K"}
    assert layer.input_extent == (pr_extent(6, 3, 2, 1) - 1, pr_extent(5, 2, 1, 1) - 1)
    assert layer.operand_elements("W") == 8 * 4 * 3 * 2
    assert layer.operand_elements("O") == 8 * 6 * 5
    assert layer.operand_elements("I") == 4 * 12 * 5
    assert layer.macs == 8 * 4 * 6 * 5 * 3 * 2
    assert layer.operand_bits("W") == 8 * layer.operand_elements("W")
    # a tile clips the input to the layer's real extent
    assert layer.tile_elements("I", {"OY": 6, "FY": 3, "C": 1}) == 12 * 1


def test_workload_totals_exclude_costless_and_activation_operands() -> None:
    conv = Layer("c", "Conv", {"K": 2, "C": 3, "FY": 3, "FX": 3})
    attn = Layer("a", "MatMul", {"G": 4, "B": 8, "C": 16, "K": 8}, constant_operands=())
    pool = Layer(
        "p", "Pool", {"G": 2, "FY": 2, "FX": 2}, precision=Precision(weight_bits=0), costless=True
    )
    fc4 = Layer("f", "Gemm", {"K": 10, "C": 2}, precision=Precision(weight_bits=4))
    w = Workload("w", (conv, attn, pool, fc4))
    assert w.compute_layers == (conv, attn, fc4)
    assert w.total_macs == 54 + 4 * 8 * 16 * 8 + 20
    assert w.ops == 2 * w.total_macs
    assert w.weight_bytes == 54 + 20 * 4 // 8


def test_layer_rejects_bad_loops() -> None:
    with pytest.raises(ValueError):
        Layer("x", "Conv", {"Q": 2})
    with pytest.raises(ValueError):
        Layer("x", "Conv", {"K": 0})
    assert set(Layer("x", "Conv", {}).loops) == set(LOOP_DIMS)


def test_unique_layers_and_fps() -> None:
    from carbonspot.workload.zoo import get_workload

    bert = get_workload("mobilebert")
    unique = bert.unique_layers()
    assert len(unique) < 12 < len(bert.compute_layers)
    assert sum(layer.macs * n for layer, n in unique) == bert.total_macs
    assert sum(n for _, n in unique) == len(bert.compute_layers)
    assert bert.fps == pytest.approx(25.0)
    assert Workload("w", ()).fps is None
