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


def test_input_extent_of_a_padded_strided_conv_uses_the_real_input():
    # 3x3, stride 2, pad 1, 56 rows -> 28 rows: the window covers rows -1 ... 55, i.e. all 56
    # real rows (issue 13: ZigZag's dram:I was 56^2/55^2 of ours for such layers)
    loops = {"K": 8, "C": 8, "OY": 28, "OX": 28, "FY": 3, "FX": 3}
    conv = Layer("c", "Conv", loops, stride=(2, 2), padding=(1, 1, 1, 1), input_size=(56, 56))
    assert conv.input_extent == (56, 56)
    assert conv.operand_elements("I") == 8 * 56 * 56
    # without the real size both paddings are subtracted, as before
    assert Layer("c", "Conv", loops, stride=(2, 2), padding=(1, 1, 1, 1)).input_extent == (55, 55)
    # a window that never reaches the last real row reads only the rows it covers
    valid = {"K": 8, "C": 8, "OY": 27, "OX": 27, "FY": 3, "FX": 3}
    assert Layer("v", "Conv", valid, stride=(2, 2), input_size=(56, 56)).input_extent == (55, 55)
    # the real size is part of the shape key: it changes the cost
    assert conv.key != Layer("c", "Conv", loops, stride=(2, 2), padding=(1, 1, 1, 1)).key


def test_zoo_and_onnx_record_the_real_input_size():
    from pathlib import Path

    from carbonspot.workload import zoo
    from carbonspot.workload.readers.onnx import load_onnx_workload

    onnx_path = Path(__file__).resolve().parent / "data" / "onnx" / "resnet18.onnx"
    for wl in (zoo.load_workload("resnet18"), load_onnx_workload(onnx_path)):
        convs = [la for la in wl.layers if la.operator == "Conv"]
        assert all(la.input_size is not None for la in convs)
        s2 = [la for la in convs if la.stride == (2, 2) and la.loops["FY"] == 3]
        assert s2 and all(la.input_extent == la.input_size for la in s2)
