"""Workloads are graphs: every source records producers, and pruning follows the graph.

Hand derivations use carbonspot-model.md §9.5 (the original's SearchUnusedMemoryStage): a
layer with several consumers (branch start), or whose single consumer has several producers
(branch end), keeps its output in the top memory; any other layer's output stops at the
lowest memory holding its input and output; a layer reads its input where its first producer
left it. Costless nodes are bridged: their producers feed their consumers.
"""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper
from test_workload_onnx import ONNX_DIR, ZOO_OF_FILE

from carbonspot.evaluate import layer_graph, memory_tops
from carbonspot.hardware.readers import load_accelerator
from carbonspot.presets import get_preset
from carbonspot.workload import zoo
from carbonspot.workload.readers.onnx import load_onnx_workload, workload_from_onnx_model
from carbonspot.workload.readers.yaml import workload_from_yaml_text
from carbonspot.workload.readers.zigzag import workload_from_zigzag

ONNX_TWINS = ZOO_OF_FILE  # shared ONNX file -> its zoo twin (tests/test_workload_onnx.py)
ORIG = get_preset("carbonspot2025")


def _acc():
    # small tensors of the toy graphs below all fit the 128 KiB SRAM: only the graph decides
    # whether an output goes up to the DRAM
    return load_accelerator("pdigital_ws:dim=32,sram_bytes=131072", ORIG, 100)


def _levels(wl):
    acc = _acc()
    layers = list(wl.compute_layers)
    tops = memory_tops(acc, layers, layer_graph(wl))
    return {la.name: t for la, t in zip(layers, tops, strict=True)}, len(acc.levels("O"))


def _vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _w(name, shape):
    n = 1
    for d in shape:
        n *= d
    return helper.make_tensor(name, TensorProto.FLOAT, shape, [0.0] * n)


def _model(nodes, out, out_shape, inits, x_shape):
    graph = helper.make_graph(nodes, "g", [_vi("x", x_shape)], [_vi(out, out_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _conv(name, x, y, w):
    return helper.make_node("Conv", [x, w], [y], name=name, pads=[1, 1, 1, 1])


# --- every source records producers -------------------------------------------------------------


@pytest.mark.parametrize("name", zoo.WORKLOAD_NAMES)
def test_every_zoo_layer_names_earlier_producers(name):
    seen: set[str] = set()
    for layer in zoo.load_workload(name).layers:
        assert layer.inputs is not None, layer.name
        assert set(layer.inputs) <= seen, (layer.name, layer.inputs)
        seen.add(layer.name)


@pytest.mark.parametrize("filename", sorted(ONNX_TWINS))
def test_onnx_file_and_zoo_twin_have_the_same_graph(filename):
    onnx_wl = load_onnx_workload(ONNX_DIR / filename)
    zoo_wl = zoo.load_workload(ONNX_TWINS[filename])
    # compute layers correspond one to one, in order (tests/test_workload_onnx.py)
    rename = dict(
        zip(
            [la.name for la in onnx_wl.compute_layers],
            [la.name for la in zoo_wl.compute_layers],
            strict=True,
        )
    )
    g_onnx = {rename[k]: {rename[s] for s in v} for k, v in layer_graph(onnx_wl).items()}
    g_zoo = {k: set(v) for k, v in layer_graph(zoo_wl).items()}
    # compared as sets: the producers of a join all keep their outputs in the top memory, so
    # their order cannot change the pruning (only a single producer's level is ever read)
    assert g_onnx == g_zoo


def test_onnx_residual_graph_survives_relu():
    # ZigZag's resnet18.onnx is Conv -> Relu -> Add: the Relu must pass its producer through
    wl = load_onnx_workload(ONNX_DIR / "resnet18.onnx")
    graph = layer_graph(wl)
    names = list(graph)
    assert graph[names[0]] == () and all(graph[n] for n in names[1:])
    # layer1.0's add joins the maxpool output (bridged: conv1) and layer1.0.conv2
    assert set(graph["/layer1/layer1.1/conv1/Conv"]) == {
        "/conv1/Conv",
        "/layer1/layer1.0/conv2/Conv",
    }


def test_yaml_inputs_field_and_errors():
    text = """
name: g
layers:
  - {name: a, operator: Conv, loops: {K: 8, C: 8, OY: 4, OX: 4}}
  - {name: b, operator: Conv, loops: {K: 8, C: 8, OY: 4, OX: 4}}
  - {name: c, operator: Conv, loops: {K: 8, C: 8, OY: 4, OX: 4}, inputs: [a, b]}
"""
    wl = workload_from_yaml_text(text, "g.yaml")
    assert [la.inputs for la in wl.layers] == [(), ("a",), ("a", "b")]
    bad = text.replace("inputs: [a, b]", "inputs: [a, zz]")
    with pytest.raises(Exception, match=r"layers\[2\]\.inputs.*'zz' is not the name of an earlier"):
        workload_from_yaml_text(bad, "g.yaml")
    plain = text.replace(", inputs: [a, b]", "")
    assert all(la.inputs is None for la in workload_from_yaml_text(plain, "g.yaml").layers)


def test_zigzag_operand_source_gives_producers():
    def layer(i, src):
        doc = {
            "id": i,
            "operator_type": "Conv",
            "equation": "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]",
            "dimension_relations": ["ix=1*ox+1*fx", "iy=1*oy+1*fy"],
            "loop_dims": ["B", "K", "C", "OY", "OX", "FY", "FX"],
            "loop_sizes": [1, 8, 8, 4, 4, 1, 1],
            "operand_precision": {"O": 16, "O_final": 8, "W": 8, "I": 8},
            "operand_source": src,
        }
        return doc

    wl = workload_from_zigzag([layer(0, {"I": 0}), layer(1, {"I": 0})], "zz.yaml")
    assert [la.inputs for la in wl.layers] == [(), ("Layer0",)]


# --- the pruning follows the graph (hand derivations) -------------------------------------------


def test_residual_add_keeps_both_branch_outputs_on_top():
    # x -> a -> relu -> b ; add(relu(a), b) -> c
    nodes = [
        _conv("a", "x", "ya", "wa"),
        helper.make_node("Relu", ["ya"], ["ra"], name="relu"),
        _conv("b", "ra", "yb", "wb"),
        helper.make_node("Add", ["ra", "yb"], ["s"], name="add"),
        _conv("c", "s", "yc", "wc"),
    ]
    inits = [_w(n, [8, 8, 3, 3]) for n in ("wa", "wb", "wc")]
    wl = workload_from_onnx_model(_model(nodes, "yc", [1, 8, 8, 8], inits, [1, 8, 8, 8]), "res")
    assert layer_graph(wl) == {"a": (), "b": ("a",), "c": ("a", "b")}
    lv, top = _levels(wl)
    assert lv["a"]["O"] == top  # two consumers (b, c): branch start
    assert lv["b"]["O"] == top  # its consumer c joins two producers: branch end
    assert lv["c"]["O"] == top - 1  # last layer, tensors fit: stops at the SRAM
    assert lv["b"]["I"] == lv["c"]["I"] == top  # both read a's output where a left it


def test_concat_joins_two_branches():
    # x -> p ; p -> q, p -> r ; concat(q, r) -> s -> t
    nodes = [
        _conv("p", "x", "yp", "wp"),
        _conv("q", "yp", "yq", "wq"),
        _conv("r", "yp", "yr", "wr"),
        helper.make_node("Concat", ["yq", "yr"], ["cat"], name="cat", axis=1),
        _conv("s", "cat", "ys", "ws"),
        _conv("t", "ys", "yt", "wt"),
    ]
    inits = [_w(n, [8, 8, 3, 3]) for n in ("wp", "wq", "wr", "wt")] + [_w("ws", [8, 16, 3, 3])]
    wl = workload_from_onnx_model(_model(nodes, "yt", [1, 8, 8, 8], inits, [1, 8, 8, 8]), "cat")
    assert layer_graph(wl) == {"p": (), "q": ("p",), "r": ("p",), "s": ("q", "r"), "t": ("s",)}
    lv, top = _levels(wl)
    assert lv["p"]["O"] == lv["q"]["O"] == lv["r"]["O"] == top
    assert lv["s"]["I"] == top  # reads the concatenation from the top memory
    assert lv["s"]["O"] == top - 1  # s -> t is a plain chain link: the SRAM holds it
    assert lv["t"]["I"] == top - 1 and lv["t"]["O"] == top - 1


def test_attention_block_fans_out_and_joins():
    # e = x We ; q, k, v = e Wq, e Wk, e Wv ; s = q k^T ; c = softmax(s) v ; o = c Wo ;
    # f = (o + e) Wf   (tokens 16, width 32)
    t, d = 16, 32
    mm = helper.make_node
    nodes = [
        mm("MatMul", ["x", "we"], ["e"], name="embed"),
        mm("MatMul", ["e", "wq"], ["q"], name="query"),
        mm("MatMul", ["e", "wk"], ["k"], name="key"),
        mm("MatMul", ["e", "wv"], ["v"], name="value"),
        mm("Transpose", ["k"], ["kt"], name="kt", perm=[1, 0]),
        mm("MatMul", ["q", "kt"], ["s"], name="scores"),
        mm("Softmax", ["s"], ["p"], name="softmax", axis=-1),
        mm("MatMul", ["p", "v"], ["c"], name="context"),
        mm("MatMul", ["c", "wo"], ["o"], name="out"),
        mm("Add", ["o", "e"], ["h"], name="residual"),
        mm("MatMul", ["h", "wf"], ["f"], name="ffn"),
    ]
    inits = [_w(n, [d, d]) for n in ("we", "wq", "wk", "wv", "wo", "wf")]
    wl = workload_from_onnx_model(_model(nodes, "f", [t, d], inits, [t, d]), "attn")
    assert layer_graph(wl) == {
        "embed": (),
        "query": ("embed",),
        "key": ("embed",),
        "value": ("embed",),
        "scores": ("query", "key"),
        "context": ("scores", "value"),
        "out": ("context",),
        "ffn": ("out", "embed"),
    }
    by_name = {la.name: la for la in wl.layers}
    assert by_name["scores"].constant_operands == () == by_name["context"].constant_operands
    lv, top = _levels(wl)
    for name in ("embed", "query", "key", "value", "scores", "out"):
        assert lv[name]["O"] == top, name  # fan-out (embed) or a producer of a join
    assert lv["context"]["O"] == top - 1  # single consumer with a single producer
    assert lv["out"]["I"] == top - 1  # out reads context from the SRAM
    assert lv["ffn"]["O"] == top - 1


def test_mobilebert_block_branches():
    graph = layer_graph(zoo.load_workload("mobilebert"))
    p = "layer_3"
    assert graph[f"{p}.attention.scores"] == (f"{p}.attention.query", f"{p}.attention.key")
    assert graph[f"{p}.attention.context"] == (f"{p}.attention.scores", f"{p}.attention.value")
    x = "layer_2.output.bottleneck"  # the block input (after layer_2's closing residual add)
    for consumer in ("bottleneck.input", "bottleneck.attention", "attention.value"):
        assert set(graph[f"{p}.{consumer}"]) >= {x}


def test_onnx_model_roundtrip_keeps_graph(tmp_path):
    nodes = [_conv("a", "x", "ya", "wa"), _conv("b", "ya", "yb", "wb")]
    model = _model(
        nodes, "yb", [1, 8, 8, 8], [_w("wa", [8, 8, 3, 3]), _w("wb", [8, 8, 3, 3])], [1, 8, 8, 8]
    )
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    assert [la.inputs for la in load_onnx_workload(path).layers] == [(), ("a",)]


def test_cli_graph_table_json_and_dot(capsys):
    import json

    from carbonspot.cli import main

    assert main(["workload", "show", "mobilebert", "--graph"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("layer_3.attention.scores"))
    assert "layer_3.attention.query, layer_3.attention.key" in line and "branch end" in line
    assert "branch start" in next(
        x for x in out.splitlines() if x.startswith("layer_3.bottleneck.attention")
    )
    assert main(["workload", "show", "resnet8", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {la["name"]: la["inputs"] for la in doc["layers"]}["s1_add"] == ["s1_conv2", "conv_0"]
    assert doc["graph"]["s2_conv1"] == ["s1_conv2", "conv_0"]
    assert main(["workload", "show", "resnet8", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith('digraph "resnet8"') and '"conv_0" -> "s2_conv1";' in dot
