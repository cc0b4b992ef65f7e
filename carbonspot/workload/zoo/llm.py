"""Transformers: decoder-only LLMs (prefill and decode with a KV cache) and a vision transformer.

An LLM workload is one forward pass of a Llama-style decoder (pre-norm blocks, RMSNorm,
rotary positions, grouped-query attention, gated SwiGLU FFN), for batch 1:

- ``NAME@prefill:P`` — a prompt of ``P`` tokens: every projection has ``P`` rows, the
  attention of each head is ``P x P`` (the full matrix, as a dense kernel computes it; a
  causal mask saves no MACs on an accelerator without sparsity support), and the LM head
  produces the logits of the last token only (what generation needs).
- ``NAME@decode:L`` — one new token attending to a KV cache of ``L`` tokens (the new one
  included): every projection has one row; the scores and the context read the cached keys
  and values, which are activations (``constant_operands=()``) whose size grows with ``L``.

Grouped-query attention shares each of the ``kv_heads`` key/value heads between
``heads / kv_heads`` query heads. The attention matmuls are written with ``G = kv_heads`` and
the query heads of a group stacked as rows, so the K and V operands are the real cache
(``kv_heads x L x head_dim``) while the MACs stay ``heads x rows x L x head_dim``.

Non-matmul operators (embedding gather, RMSNorm/LayerNorm, rotary embedding, softmax,
SiLU/GELU, the gate product, residual adds) are listed as costless layers over their
tensors, so the layer table shows them with a zero share; their producers keep the graph.

Sources of the configurations (Hugging Face ``config.json`` of each model):
TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T, Qwen/Qwen2.5-0.5B,
meta-llama/Llama-3.2-1B, facebook/deit-tiny-patch16-224.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carbonspot.errors import InputError
from carbonspot.workload.model import Workload
from carbonspot.workload.zoo._builder import NetBuilder

MODES = ("prefill", "decode")
# Service targets that set the PA period (carbonspot-model.md §2.2 fixed work period): a
# prompt answered within 1 s (time to first token), 10 generated tokens per second.
PREFILL_PERIOD_S = 1.0
DECODE_TOKENS_PER_S = 10.0


@dataclass(frozen=True)
class DecoderConfig:
    """Shape of a Llama-style decoder (names as in Hugging Face ``config.json``)."""

    name: str
    hidden: int  # hidden_size
    layers: int  # num_hidden_layers
    heads: int  # num_attention_heads
    kv_heads: int  # num_key_value_heads (< heads: grouped-query attention)
    ffn: int  # intermediate_size (gated: gate, up and down projections)
    vocab: int  # vocab_size
    tied_embeddings: bool  # tie_word_embeddings: the LM head reuses the embedding table
    source: str

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def block_params(self) -> int:
        """Weights of one decoder block's matmuls (norm gains and biases not counted)."""
        hd = self.head_dim
        attn = self.hidden * (self.heads + 2 * self.kv_heads) * hd + self.heads * hd * self.hidden
        return attn + 3 * self.hidden * self.ffn

    @property
    def matmul_params(self) -> int:
        """Weights the matmuls read per token: all blocks plus the LM head."""
        return self.layers * self.block_params + self.vocab * self.hidden


DECODERS: dict[str, DecoderConfig] = {
    c.name: c
    for c in (
        DecoderConfig(
            "tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, False,
            "TinyLlama-1.1B (Zhang et al. 2024), Hugging Face TinyLlama/TinyLlama-1.1B-"
            "intermediate-step-1431k-3T config.json",
        ),
        DecoderConfig(
            "qwen2.5-0.5b", 896, 24, 14, 2, 4864, 151936, True,
            "Qwen2.5-0.5B (Qwen team 2024), Hugging Face Qwen/Qwen2.5-0.5B config.json "
            "(q/k/v biases not counted)",
        ),
        DecoderConfig(
            "llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, True,
            "Llama-3.2-1B (Meta 2024), Hugging Face meta-llama/Llama-3.2-1B config.json",
        ),
    )
}  # fmt: skip

_LLM_NAME = re.compile(r"^(?P<model>[a-z0-9.\-_]+)@(?P<mode>[a-z]+):(?P<tokens>\d+)$")


def is_llm_name(name: str) -> bool:
    """True for names of the form ``MODEL@prefill:P`` / ``MODEL@decode:L``."""
    return _LLM_NAME.match(name) is not None


def parse_llm_name(name: str) -> tuple[DecoderConfig, str, int]:
    """``MODEL@MODE:N`` -> (config, mode, N), or an :class:`InputError` naming what is wrong."""
    m = _LLM_NAME.match(name)
    if m is None:
        raise InputError(
            f"not an LLM workload name: {name!r}",
            field="workload",
            allowed=[f"{d}@prefill:P" for d in DECODERS] + [f"{d}@decode:L" for d in DECODERS],
        )
    model, mode, tokens = m["model"], m["mode"], int(m["tokens"])
    if model not in DECODERS:
        raise InputError(f"unknown LLM {model!r}", field="workload", allowed=list(DECODERS))
    if mode not in MODES:
        raise InputError(f"unknown LLM mode {mode!r} in {name!r}", field="workload", allowed=MODES)
    if not 1 <= tokens <= 1_048_576:
        raise InputError(
            f"token count {tokens} out of range in {name!r}",
            field="workload",
            allowed="1 ... 1048576 tokens",
        )
    return DECODERS[model], mode, tokens


def decoder(cfg: DecoderConfig, mode: str, tokens: int) -> Workload:
    """One forward pass: ``prefill`` of a ``tokens``-long prompt or one ``decode`` step."""
    if mode not in MODES:
        raise InputError(f"unknown LLM mode {mode!r}", field="workload", allowed=MODES)
    rows = tokens if mode == "prefill" else 1  # query rows per projection
    ctx = tokens  # keys and values attended to
    hd, group = cfg.head_dim, cfg.heads // cfg.kv_heads
    b = NetBuilder((cfg.hidden, rows, 1))
    b.elementwise("embed_tokens", "Gather")
    for i in range(cfg.layers):
        p = f"layers.{i}"
        x = b.tensor
        b.elementwise(f"{p}.input_layernorm", "RMSNorm")
        normed = b.tensor
        b.matmul(f"{p}.self_attn.q_proj", rows, cfg.hidden, cfg.heads * hd)
        b.elementwise(f"{p}.self_attn.q_rope", "RoPE")
        q_rot = b.tensor
        b.matmul(f"{p}.self_attn.k_proj", rows, cfg.hidden, cfg.kv_heads * hd, inputs=(normed,))
        b.elementwise(f"{p}.self_attn.k_rope", "RoPE")
        k_rot = b.tensor
        v = b.matmul(f"{p}.self_attn.v_proj", rows, cfg.hidden, cfg.kv_heads * hd, inputs=(normed,))
        # scores[g][r][l] = sum_d q[g][r][d] k[g][l][d]: the group's query heads as rows
        b.matmul(
            f"{p}.self_attn.scores", group * rows, hd, ctx, cfg.kv_heads, constant=False,
            inputs=(q_rot, k_rot),
        )  # fmt: skip
        b.elementwise(f"{p}.self_attn.softmax", "Softmax")
        b.matmul(
            f"{p}.self_attn.context", group * rows, ctx, hd, cfg.kv_heads, constant=False,
            inputs=(b.tensor, v.name),
        )  # fmt: skip
        b.matmul(f"{p}.self_attn.o_proj", rows, cfg.heads * hd, cfg.hidden)
        b.add(f"{p}.attn_residual", x)
        h = b.tensor
        b.elementwise(f"{p}.post_attention_layernorm", "RMSNorm")
        normed = b.tensor
        b.matmul(f"{p}.mlp.gate_proj", rows, cfg.hidden, cfg.ffn)
        b.elementwise(f"{p}.mlp.act", "SiLU")
        act = b.tensor
        up = b.matmul(f"{p}.mlp.up_proj", rows, cfg.hidden, cfg.ffn, inputs=(normed,))
        b.elementwise(f"{p}.mlp.gate_mul", "Mul", inputs=(act, up.name))
        b.matmul(f"{p}.mlp.down_proj", rows, cfg.ffn, cfg.hidden)
        b.add(f"{p}.mlp_residual", h)
    b.elementwise("norm", "RMSNorm")
    b.matmul("lm_head", 1, cfg.hidden, cfg.vocab)  # the last token's logits
    period = PREFILL_PERIOD_S if mode == "prefill" else 1.0 / DECODE_TOKENS_PER_S
    what = f"prefill of {tokens} tokens" if mode == "prefill" else f"decode, KV cache {tokens}"
    return b.workload(
        f"{cfg.name}@{mode}:{tokens}", "edge-llm", 1.0 / period, f"{cfg.source}; {what}"
    )


def inference_unit(workload_name: str) -> str | None:
    """What one inference of an LLM workload is ("one generated token", "one prompt of P
    tokens"), for labelling per-inference figures; ``None`` for other workloads."""
    m = _LLM_NAME.match(workload_name)
    if m is None or m["model"] not in DECODERS:
        return None
    if m["mode"] == "decode":
        return f"one generated token (decode step at a KV cache of {m['tokens']})"
    return f"one prompt of {m['tokens']} tokens (prefill)"


def llm(name: str) -> Workload:
    """The workload of an ``MODEL@MODE:N`` name."""
    cfg, mode, tokens = parse_llm_name(name)
    return decoder(cfg, mode, tokens)


def deit_tiny() -> Workload:
    """DeiT-Tiny/16 (Touvron et al. 2021), 224x224: 196 patches + class token, 12 blocks.

    Patch embedding as a 16x16/stride-16 conv; pre-norm blocks (LayerNorm, 3 heads of 64,
    GELU MLP of 768); the classifier on the class token. Biases are not counted.
    """
    d, heads, mlp, depth, tokens = 192, 3, 768, 12, 197
    hd = d // heads
    b = NetBuilder((3, 224, 224))
    b.conv("patch_embed", d, kernel=16, stride=16, padding="valid")
    b.shape = (d, tokens, 1)  # flatten + class token + position embedding (costless)
    b.elementwise("tokens", "Concat")
    for i in range(depth):
        p = f"blocks.{i}"
        x = b.tensor
        b.elementwise(f"{p}.norm1", "LayerNorm")
        qkv = b.matmul(f"{p}.attn.qkv", tokens, d, 3 * d)
        b.matmul(
            f"{p}.attn.scores", tokens, hd, tokens, heads, constant=False,
            inputs=(qkv.name, qkv.name),
        )  # fmt: skip
        b.elementwise(f"{p}.attn.softmax", "Softmax")
        b.matmul(
            f"{p}.attn.context", tokens, tokens, hd, heads, constant=False,
            inputs=(b.tensor, qkv.name),
        )  # fmt: skip
        b.matmul(f"{p}.attn.proj", tokens, d, d)
        b.add(f"{p}.attn_residual", x)
        h = b.tensor
        b.elementwise(f"{p}.norm2", "LayerNorm")
        b.matmul(f"{p}.mlp.fc1", tokens, d, mlp)
        b.elementwise(f"{p}.mlp.act", "GELU")
        b.matmul(f"{p}.mlp.fc2", tokens, mlp, d)
        b.add(f"{p}.mlp_residual", h)
    b.elementwise("norm", "LayerNorm")
    b.matmul("head", 1, d, 1000)
    return b.workload(
        "deit_tiny",
        "imagenet",
        25.0,
        "DeiT-Tiny/16 (Touvron et al. 2021), facebook/deit-tiny-patch16-224",
    )
