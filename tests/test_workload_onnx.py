"""ONNX import: the real MLPerf-Tiny/ResNet files against the zoo, and synthetic graphs."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.workload.readers.onnx import load_onnx_workload, workload_from_onnx_model
from carbonspot.workload.zoo import get_workload, load_workload

ONNX_DIR = Path(__file__).resolve().parent / "data" / "onnx"
ZOO_OF_FILE = {
    "deepautoencoder.onnx": "ae",
    "ds_cnn.onnx": "ds_cnn",
    "mobilenet_v1.onnx": "mobilenet_v1",
    "resnet8.onnx": "resnet8",
    "resnet18.onnx": "resnet18",
    "mobilenetv2.onnx": "mobilenet_v2_imagenet",
    "alexnet.onnx": "alexnet",
}


def _compared(workload) -> list[tuple]:
    """Costed layers plus pooling and residual adds, in graph order, by shape key."""
    return [
        layer.key
        for layer in workload.layers
        if not layer.costless or layer.operator in ("Pool", "Add")
    ]


@pytest.mark.parametrize("filename", sorted(ZOO_OF_FILE))
def test_onnx_file_matches_builtin_definition(filename: str) -> None:
    imported = load_workload(str(ONNX_DIR / filename))
    builtin = get_workload(ZOO_OF_FILE[filename])
    assert _compared(imported) == _compared(builtin)
    assert imported.total_macs == builtin.total_macs
    assert imported.weight_bytes == builtin.weight_bytes
    assert imported.unsupported == builtin.unsupported


def _json_rows(doc: dict) -> list[dict]:
    keep = ("operator", "loops", "stride", "macs", "padding")
    return [
        {k: layer[k] for k in keep}
        for layer in doc["layers"]
        if not layer["costless"] or layer["operator"] in ("Pool", "Add")
    ]


def test_cli_show_onnx_gives_the_builtin_layers(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    for filename, zoo_name in ZOO_OF_FILE.items():
        assert main(["workload", "show", str(ONNX_DIR / filename), "--format", "json"]) == 0
        from_file = json.loads(capsys.readouterr().out)
        assert main(["workload", "show", zoo_name, "--format", "json"]) == 0
        from_zoo = json.loads(capsys.readouterr().out)
        rows = _json_rows
        assert rows(from_file) == rows(from_zoo), filename
        assert from_file["total_macs"] == from_zoo["total_macs"]


def test_every_shared_model_file_has_a_builtin_twin() -> None:
    assert sorted(p.name for p in ONNX_DIR.glob("*.onnx")) == sorted(ZOO_OF_FILE)


def test_every_onnx_node_is_accounted_for() -> None:
    for path in sorted(ONNX_DIR.glob("*.onnx")):
        model = onnx.load(str(path), load_external_data=False)
        w = load_onnx_workload(path)
        n_unsupported = sum(int(u.rsplit("x", 1)[1]) for u in w.unsupported)
        n_constant = sum(node.op_type == "Constant" for node in model.graph.node)
        assert len(w.layers) + n_unsupported + n_constant == len(model.graph.node), path.name


def test_alexnet_lists_lrn_as_unsupported_and_matches_reference_macs() -> None:
    w = load_onnx_workload(ONNX_DIR / "alexnet.onnx")
    assert w.unsupported == ("LRN x2",)
    assert w.total_macs == 654_560_384  # carbonspot-model.md §11
    assert load_onnx_workload(ONNX_DIR / "mobilenetv2.onnx").total_macs == 300_774_272


def test_cli_warns_about_unsupported_ops(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workload", "show", str(ONNX_DIR / "alexnet.onnx")]) == 0
    captured = capsys.readouterr()
    assert "LRN x2" in captured.err and "LRN x2" in captured.out


# --- synthetic graphs ---------------------------------------------------------------------------


def _model(nodes, inputs, outputs, initializers=()) -> onnx.ModelProto:
    graph = helper.make_graph(list(nodes), "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _vi(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _init(name: str, shape) -> onnx.TensorProto:
    size = 1
    for d in shape:
        size *= d
    return helper.make_tensor(name, TensorProto.FLOAT, shape, [0.0] * size)


def test_conv_non_square_kernel_and_stride_keep_their_axes() -> None:
    node = helper.make_node(
        "Conv", ["x", "w"], ["y"], name="c", strides=[3, 1], pads=[1, 0, 2, 0], group=2
    )
    model = _model(
        [node], [_vi("x", ["N", 4, 20, 9])], [_vi("y", None)], [_init("w", [6, 2, 5, 3])]
    )
    layer = workload_from_onnx_model(model, "mem").layers[0]
    assert layer.loops == {
        "B": 1, "K": 3, "G": 2, "C": 2, "OY": 7, "OX": 7, "FY": 5, "FX": 3
    }  # fmt: skip
    assert layer.stride == (3, 1) and layer.padding == (1, 0, 2, 0)
    assert layer.input_extent == (20, 9)


def test_conv_same_upper_padding_and_1d_conv() -> None:
    node = helper.make_node("Conv", ["x", "w"], ["y"], strides=[2, 2], auto_pad="SAME_UPPER")
    model = _model([node], [_vi("x", [1, 3, 9, 10])], [_vi("y", None)], [_init("w", [8, 3, 3, 3])])
    layer = workload_from_onnx_model(model, "mem").layers[0]
    assert (layer.loops["OY"], layer.loops["OX"]) == (5, 5)
    assert layer.padding == (1, 0, 1, 1)  # SAME_UPPER: the odd pixel goes at the end
    node1d = helper.make_node("Conv", ["x", "w"], ["y"], strides=[2], pads=[1, 1])
    model1d = _model([node1d], [_vi("x", [1, 4, 16])], [_vi("y", None)], [_init("w", [8, 4, 3])])
    layer1d = workload_from_onnx_model(model1d, "mem").layers[0]
    assert (layer1d.loops["OY"], layer1d.loops["OX"], layer1d.loops["FX"]) == (1, 8, 3)
    assert layer1d.stride == (1, 2) and layer1d.padding == (0, 1, 0, 1)


def test_gemm_transposes_and_matmul_kinds() -> None:
    gemm = helper.make_node("Gemm", ["a", "w"], ["g"], transA=1, transB=1, name="fc")
    mm_const = helper.make_node("MatMul", ["x", "wm"], ["h"], name="proj")
    mm_act = helper.make_node("MatMul", ["q", "k"], ["s"], name="scores")
    relu = helper.make_node("Relu", ["s"], ["r"], name="relu")
    rnn = helper.make_node("Einsum", ["r", "r"], ["e"], equation="ij,jk->ik", name="e")
    model = _model(
        [gemm, mm_const, mm_act, relu, rnn],
        [
            _vi("a", [64, 5]),
            _vi("x", [1, 384, 512]),
            _vi("q", [1, 4, 384, 32]),
            _vi("k", [1, 4, 32, 384]),
        ],
        [_vi("g", None), _vi("h", None), _vi("e", None)],
        [_init("w", [10, 64]), _init("wm", [512, 128])],
    )
    w = workload_from_onnx_model(model, "mem", name="mixed")
    fc, proj, scores, relu_layer = w.layers
    assert fc.loops["B"] == 5 and fc.loops["C"] == 64 and fc.loops["K"] == 10
    assert (proj.loops["B"], proj.loops["C"], proj.loops["K"]) == (384, 512, 128)
    assert proj.constant_operands == ("W",)
    assert (scores.loops["G"], scores.loops["B"], scores.loops["C"], scores.loops["K"]) == (
        4,
        384,
        32,
        384,
    )
    assert scores.constant_operands == ()
    assert relu_layer.costless and relu_layer.operator == "Relu"
    assert w.unsupported == ("Einsum x1",)
    # act x act operands are not weights
    assert w.weight_bytes == (10 * 64 + 512 * 128)


def test_weight_preprocessing_nodes_are_folded() -> None:
    transpose = helper.make_node("Transpose", ["w"], ["wt"], perm=[1, 0])
    mm = helper.make_node("MatMul", ["x", "wt"], ["y"])
    model = _model([transpose, mm], [_vi("x", [2, 6])], [_vi("y", None)], [_init("w", [3, 6])])
    w = workload_from_onnx_model(model, "mem")
    assert len(w.layers) == 1 and w.layers[0].constant_operands == ("W",)
    assert (w.layers[0].loops["B"], w.layers[0].loops["C"], w.layers[0].loops["K"]) == (2, 6, 3)


def test_unknown_shapes_of_a_compute_layer_are_an_input_error() -> None:
    mm = helper.make_node("MatMul", ["x", "y"], ["z"], name="mystery")
    model = _model([mm], [_vi("x", [1, "S", 8]), _vi("y", [1, 8, 4])], [_vi("z", None)])
    with pytest.raises(InputError) as info:
        workload_from_onnx_model(model, "m.onnx")
    assert info.value.source == "m.onnx" and "mystery" in (info.value.field or "")


@pytest.mark.parametrize(
    "content",
    [b"", b"not an onnx file at all \x00\xff\xfe", b"\x08\x07\x12\x04junk\x3a\xff\xff"],
)
def test_malformed_onnx_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    assert main(["workload", "show", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "allowed" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_onnx_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_workload(str(tmp_path / "nope.onnx"))


_conv_attrs = st.fixed_dictionaries(
    {},
    optional={
        "strides": st.lists(st.integers(-1, 4), min_size=1, max_size=3),
        "pads": st.lists(st.integers(-2, 4), min_size=2, max_size=5),
        "dilations": st.lists(st.integers(0, 3), min_size=1, max_size=3),
        "group": st.integers(0, 5),
        "kernel_shape": st.lists(st.integers(0, 6), min_size=1, max_size=3),
        "auto_pad": st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "BAD"]),
    },
)


@settings(max_examples=60, deadline=None)
@given(
    attrs=_conv_attrs,
    op=st.sampled_from(["Conv", "MaxPool", "AveragePool", "Gemm", "MatMul"]),
    x_shape=st.lists(st.integers(1, 9), min_size=2, max_size=4),
    w_shape=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    n_inputs=st.integers(0, 3),
)
def test_random_node_attributes_only_raise_input_error(attrs, op, x_shape, w_shape, n_inputs):
    names = ["x", "w", "b"][:n_inputs]
    node = helper.make_node(op, names, ["y"], name="fuzz", **attrs)
    inits = [_init("w", w_shape)] if "w" in names else []
    inits += [_init("b", [w_shape[0]])] if "b" in names else []
    model = _model([node], [_vi("x", x_shape)], [_vi("y", None)], inits)
    try:
        w = workload_from_onnx_model(model, "fuzz.onnx")
    except InputError as exc:
        assert exc.source == "fuzz.onnx"
        return
    assert all(layer.macs >= 1 for layer in w.layers)


def test_onnx_workload_is_named_after_its_file():
    # A node loop variable once shadowed the name argument, naming ds_cnn "Identity".
    from carbonspot.workload.zoo import load_workload

    path = Path(__file__).parent / "data" / "onnx" / "ds_cnn.onnx"
    assert load_workload(path).name == "ds_cnn"
