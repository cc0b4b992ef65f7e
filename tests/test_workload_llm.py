"""Transformer workloads: closed-form MACs and weights, KV cache, GQA, names, ONNX import.

Closed forms: per token, a decoder's matmuls read every block weight once (``layers x
block_params``); attention adds ``2 x heads x head_dim x context`` MACs per query row and
layer (scores and context); the LM head runs for one row. Configurations: Hugging Face
``config.json`` of each model (carbonspot/workload/zoo/llm.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from carbonspot.errors import InputError
from carbonspot.evaluate import layer_graph
from carbonspot.workload import zoo
from carbonspot.workload.readers.onnx import workload_from_onnx_model
from carbonspot.workload.zoo import llm


@pytest.mark.parametrize("model", sorted(llm.DECODERS))
@pytest.mark.parametrize(("mode", "tokens"), [("prefill", 64), ("decode", 300)])
def test_macs_and_weights_match_the_closed_form(model, mode, tokens):
    cfg = llm.DECODERS[model]
    wl = zoo.load_workload(f"{model}@{mode}:{tokens}")
    rows = tokens if mode == "prefill" else 1
    hd = cfg.hidden // cfg.heads
    per_row = cfg.layers * (
        cfg.hidden * (cfg.heads + 2 * cfg.kv_heads) * hd  # q, k, v
        + cfg.heads * hd * cfg.hidden  # o
        + 3 * cfg.hidden * cfg.ffn  # gate, up, down
    )
    attention = cfg.layers * 2 * cfg.heads * hd * rows * tokens
    assert wl.total_macs == per_row * rows + cfg.vocab * cfg.hidden + attention
    assert wl.weight_bytes == per_row + cfg.vocab * cfg.hidden  # 8-bit weights


def test_parameter_counts_match_the_published_sizes():
    # matmul weights + an untied embedding table ~ the published parameter counts (biases and
    # norm gains, < 0.1 %, not modelled): TinyLlama 1.100 B, Qwen2.5-0.5B 0.494 B (tied),
    # Llama-3.2-1B 1.236 B (tied)
    def total(c):
        return c.matmul_params + (0 if c.tied_embeddings else c.vocab * c.hidden)

    assert total(llm.DECODERS["tinyllama-1.1b"]) == pytest.approx(1.100e9, rel=0.002)
    assert total(llm.DECODERS["qwen2.5-0.5b"]) == pytest.approx(0.494e9, rel=0.002)
    assert total(llm.DECODERS["llama-3.2-1b"]) == pytest.approx(1.236e9, rel=0.002)


def test_decode_reads_a_kv_cache_that_grows_with_the_context():
    cfg = llm.DECODERS["tinyllama-1.1b"]
    hd = cfg.hidden // cfg.heads
    for ctx in (128, 1024):
        by_name = {la.name: la for la in zoo.load_workload(f"tinyllama-1.1b@decode:{ctx}").layers}
        scores, context = (
            by_name["layers.0.self_attn.scores"],
            by_name["layers.0.self_attn.context"],
        )
        assert scores.constant_operands == () == context.constant_operands  # K, V: activations
        # the "W" operand of the scores is the key cache, of the context the value cache:
        # kv_heads x context x head_dim (GQA: shared by heads / kv_heads query heads)
        assert scores.operand_elements("W") == cfg.kv_heads * ctx * hd
        assert context.operand_elements("W") == cfg.kv_heads * ctx * hd
        assert scores.operand_elements("I") == cfg.heads * hd  # one query row per head
        assert scores.operand_elements("O") == cfg.heads * ctx


def test_every_block_is_a_graph_with_residuals_and_joins():
    graph = layer_graph(zoo.load_workload("qwen2.5-0.5b@prefill:16"))
    p = "layers.3"
    assert set(graph[f"{p}.self_attn.scores"]) == {f"{p}.self_attn.q_proj", f"{p}.self_attn.k_proj"}
    assert set(graph[f"{p}.self_attn.context"]) == {
        f"{p}.self_attn.scores",
        f"{p}.self_attn.v_proj",
    }
    assert set(graph[f"{p}.mlp.down_proj"]) == {f"{p}.mlp.gate_proj", f"{p}.mlp.up_proj"}
    # the residual stream: q/k/v of block 3 read block 2's output and its residual input
    assert set(graph[f"{p}.self_attn.q_proj"]) == {
        "layers.2.mlp.down_proj",
        "layers.2.self_attn.o_proj",
    } | {
        "layers.1.mlp.down_proj",
        "layers.1.self_attn.o_proj",
        "layers.0.mlp.down_proj",
        "layers.0.self_attn.o_proj",
    }


def test_non_matmul_operators_are_listed_not_dropped():
    wl = zoo.load_workload("tinyllama-1.1b@decode:64")
    ops = {la.operator for la in wl.layers if la.costless}
    assert {"Gather", "RMSNorm", "RoPE", "Softmax", "SiLU", "Mul", "Add"} <= ops
    assert {la.operator for la in zoo.load_workload("deit_tiny").layers if la.costless} >= {
        "LayerNorm",
        "GELU",
        "Softmax",
    }


def test_names_and_errors():
    assert zoo.load_workload("llama-3.2-1b@decode:2048").name == "llama-3.2-1b@decode:2048"
    for bad, needle in [
        ("gpt-5@decode:10", "unknown LLM"),
        ("tinyllama-1.1b@train:10", "unknown LLM mode"),
        ("tinyllama-1.1b@decode:0", "out of range"),
    ]:
        with pytest.raises(InputError, match=needle):
            zoo.load_workload(bad)
    assert set(zoo.SUITES["edge-llm"]) <= set(zoo.WORKLOAD_NAMES)
    periods = {zoo.load_workload(n).period_s for n in zoo.SUITES["edge-llm"]}
    assert periods == {llm.PREFILL_PERIOD_S, 1.0 / llm.DECODE_TOKENS_PER_S}


def test_deit_tiny_macs():
    # 196 patches x 3*256*192 (patch embedding) + 12 blocks x [197 x 192 x (3*192 + 192 + 2*768)
    # + 2 x 3 x 197^2 x 64] + 192 x 1000 (head)
    blocks = 12 * (197 * 192 * (3 * 192 + 192 + 2 * 768) + 2 * 3 * 197 * 197 * 64)
    assert zoo.load_workload("deit_tiny").total_macs == 196 * 768 * 192 + blocks + 192 * 1000


# --- ONNX import of a transformer block (onnx.helper) ----------------------------------------


def _transformer_block_model(tokens=8, d=16, heads=2, vocab=50):
    hd = d // heads
    f = TensorProto.FLOAT

    def init(name, shape, dtype=f, values=None):
        n = int(np.prod(shape))
        vals = values if values is not None else [0.0] * n
        return helper.make_tensor(name, dtype, shape, vals)

    nodes = [
        helper.make_node("Gather", ["emb", "ids"], ["x"], name="embed"),
        helper.make_node("LayerNormalization", ["x", "g", "b"], ["xn"], name="ln", axis=-1),
        helper.make_node("MatMul", ["xn", "wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["xn", "wk"], ["k"], name="k_proj"),
        helper.make_node("MatMul", ["xn", "wv"], ["v"], name="v_proj"),
        helper.make_node("Reshape", ["q", "shape4"], ["q4"], name="q_split"),
        helper.make_node("Transpose", ["q4"], ["qh"], name="q_heads", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["k", "shape4"], ["k4"], name="k_split"),
        helper.make_node("Transpose", ["k4"], ["kt"], name="k_heads_t", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["v", "shape4"], ["v4"], name="v_split"),
        helper.make_node("Transpose", ["v4"], ["vh"], name="v_heads", perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qh", "kt"], ["s"], name="scores"),
        helper.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["p", "vh"], ["c"], name="context"),
        helper.make_node("Transpose", ["c"], ["ct"], name="merge_t", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ct", "shape3"], ["c3"], name="merge"),
        helper.make_node("MatMul", ["c3", "wo"], ["o"], name="o_proj"),
        helper.make_node("Add", ["o", "x"], ["y"], name="residual"),
    ]
    inits = [
        init("emb", [vocab, d]),
        init("g", [d]),
        init("b", [d]),
        *(init(n, [d, d]) for n in ("wq", "wk", "wv", "wo")),
        init("shape4", [4], TensorProto.INT64, [1, tokens, heads, hd]),
        init("shape3", [3], TensorProto.INT64, [1, tokens, d]),
    ]
    graph = helper.make_graph(
        nodes,
        "block",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, tokens])],
        [helper.make_tensor_value_info("y", f, [1, tokens, d])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_onnx_transformer_block_imports_with_its_graph():
    tokens, d, heads = 8, 16, 2
    wl = workload_from_onnx_model(_transformer_block_model(tokens, d, heads), "block.onnx")
    by_name = {la.name: la for la in wl.layers}
    assert [la.name for la in wl.compute_layers] == [
        "q_proj", "k_proj", "v_proj", "scores", "context", "o_proj",
    ]  # fmt: skip
    assert by_name["embed"].costless and by_name["ln"].costless and by_name["softmax"].costless
    scores, context = by_name["scores"], by_name["context"]
    assert scores.constant_operands == () and context.constant_operands == ()
    assert scores.macs == heads * tokens * tokens * (d // heads)
    assert context.macs == heads * tokens * tokens * (d // heads)
    assert by_name["q_proj"].macs == tokens * d * d
    assert layer_graph(wl) == {
        "q_proj": (),
        "k_proj": (),
        "v_proj": (),
        "scores": ("q_proj", "k_proj"),
        "context": ("scores", "v_proj"),
        "o_proj": ("context",),
    }
    assert not wl.unsupported
