"""Built-in workloads: totals, weights, suites and frame rates against published numbers."""

from __future__ import annotations

import pytest

from carbonspot.errors import InputError
from carbonspot.workload.model import LOOP_DIMS
from carbonspot.workload.zoo import SUITES, WORKLOAD_NAMES, get_workload, load_workload, suite

# Conv + Gemm MACs of the ONNX files (carbonspot-model.md §11, issue 2 acceptance).
TOTAL_MACS = {
    "ae": 264_192,
    "ds_cnn": 2_656_768,
    "mobilenet_v1": 7_489_664,
    "resnet8": 12_501_632,
    "resnet18": 1_814_073_344,
    "mobilenet_v2_imagenet": 300_774_272,  # carbonspot-model.md §11
    "alexnet": 654_560_384,  # same
}
# Paper op counts per inference (carbonspot-model.md §3.1 ``ops_workloads``).
PAPER_OPS = {
    "deeplabv3": 10_554_605_568,
    "mobilebert": 17_667_194_880,
    "mobilenet_edgetpu": 1_981_340_928,
    "ssd_mobilenet_v2": 3_750_131_680,  # the original's "mobilenet_v2" key
}
# Weight bytes of the original (carbonspot-model.md §3.1 ``size_workloads``), 8-bit weights.
PAPER_WEIGHT_BYTES = {
    "ae": 264_192,
    "ds_cnn": 22_016,
    "mobilenet_v1": 208_112,
    "resnet8": 77_360,
    "resnet18": 11_678_912,
    "deeplabv3": 2_238_576,
    "mobilenet_edgetpu": 4_052_832,
    "ssd_mobilenet_v2": 16_795_712,
}
FPS = {"ae": 1, "ds_cnn": 10, "mobilenet_v1": 0.75, "resnet8": 25, "resnet18": 25, "alexnet": 25}


@pytest.mark.parametrize("name", sorted(TOTAL_MACS))
def test_tiny_and_resnet18_total_macs(name: str) -> None:
    assert get_workload(name).total_macs == TOTAL_MACS[name]


@pytest.mark.parametrize("name", sorted(PAPER_OPS))
def test_mobile_ops_within_ten_percent_of_paper(name: str) -> None:
    ops = get_workload(name).ops
    assert ops == 2 * get_workload(name).total_macs
    assert abs(ops / PAPER_OPS[name] - 1) < 0.10


@pytest.mark.parametrize("name", ["deeplabv3", "mobilenet_edgetpu", "ssd_mobilenet_v2"])
def test_mobile_vision_nets_reproduce_paper_ops_exactly(name: str) -> None:
    # docs/workloads.md: these three architectures give the paper's counts to the op.
    assert get_workload(name).ops == PAPER_OPS[name]


def test_mobilebert_difference_is_the_documented_one() -> None:
    # docs/workloads.md: 24 x (384 x 128 x 128) MACs fewer than the paper.
    w = get_workload("mobilebert")
    assert PAPER_OPS["mobilebert"] - w.ops == 2 * 24 * 384 * 128 * 128
    attention = [layer for layer in w.compute_layers if not layer.constant_operands]
    assert len(attention) == 2 * 24
    assert all(layer.loops["G"] == 4 for layer in attention)


@pytest.mark.parametrize("name", sorted(PAPER_WEIGHT_BYTES))
def test_weight_bytes_match_original_table(name: str) -> None:
    assert get_workload(name).weight_bytes == PAPER_WEIGHT_BYTES[name]


def test_frame_rates() -> None:
    for name, fps in FPS.items():
        assert get_workload(name).period_s == pytest.approx(1 / fps)
    for w in suite("mobile"):
        assert w.period_s == pytest.approx(1 / 25)


def test_suites_and_names() -> None:
    assert SUITES["tiny"] == ("ae", "ds_cnn", "mobilenet_v1", "resnet8")
    assert SUITES["mobile"] == (
        "mobilenet_edgetpu",
        "ssd_mobilenet_v2",
        "deeplabv3",
        "mobilebert",
    )
    assert set(WORKLOAD_NAMES) == {n for names in SUITES.values() for n in names}
    assert [w.name for w in suite("tiny")] == list(SUITES["tiny"])
    assert all(w.suite == "tiny" for w in suite("tiny"))
    with pytest.raises(InputError, match="tiny"):
        suite("huge")


def test_every_zoo_layer_is_well_formed() -> None:
    for name in WORKLOAD_NAMES:
        w = load_workload(name)
        assert w.name == name
        names = [layer.name for layer in w.layers]
        assert len(names) == len(set(names)), name
        for layer in w.layers:
            assert set(layer.loops) == set(LOOP_DIMS)
            if layer.operator == "Conv":
                # outputs can be produced from the input the padding implies
                iy, ix = layer.input_extent
                assert iy >= 1 and ix >= 1
            if layer.costless:  # listed operators without MACs in this model
                assert layer.operator in COSTLESS_ZOO_OPERATORS, layer.operator
            else:
                assert layer.operator in ("Conv", "Gemm", "MatMul")


COSTLESS_ZOO_OPERATORS = (
    "Pool", "Add", "Concat", "Gather", "RMSNorm", "LayerNorm", "RoPE", "Softmax", "SiLU",
    "GELU", "Mul",
)  # fmt: skip


def test_ds_cnn_first_conv_is_not_swapped() -> None:
    conv = get_workload("ds_cnn").layers[0]
    assert (conv.loops["FY"], conv.loops["FX"], conv.loops["OY"], conv.loops["OX"]) == (
        10,
        4,
        25,
        5,
    )
    assert conv.stride == (2, 2)
    assert conv.input_extent == (49, 10)  # 49 MFCC frames x 10 coefficients


def test_aliases_and_unknown_names() -> None:
    assert load_workload("mobilenet") is get_workload("mobilenet_v1")
    assert load_workload("deepautoencoder") is get_workload("ae")
    with pytest.raises(InputError) as info:
        load_workload("resnet50")
    text = str(info.value)
    assert "resnet50" in text and all(n in text for n in WORKLOAD_NAMES)
