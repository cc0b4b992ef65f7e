"""LLM serving: the cost and carbon of a request = a prompt (prefill) + generated tokens (decode).

A request of ``P`` prompt tokens and ``G`` generated tokens is one prefill of ``P`` tokens and
``G`` decode steps whose KV cache grows from ``P + 1`` to ``P + G``. Decode's MACs and KV
traffic are linear in the context, so the ``G`` steps are costed as ``G`` times one step at
the mean context ``P + (G + 1) / 2`` (rounded): exact for the attention MACs, and for every
other layer (independent of the context). Carbon follows the same sum: per request = the
prefill's carbon + ``G`` x the decode step's, in CA and PA alike (each workload under its own
period, :mod:`carbonspot.workload.zoo.llm`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carbonspot.design import DesignPipeline
from carbonspot.errors import InputError
from carbonspot.evaluate import Evaluator
from carbonspot.hardware.templates import resolve_params
from carbonspot.workload.zoo import get_workload
from carbonspot.workload.zoo.llm import DECODERS

# what a request's rows report, per unit (prompt, token or request)
REQUEST_METRICS = ("latency_ns", "energy_pj", "carbon_ca_g", "carbon_pa_g")


@dataclass(frozen=True)
class RequestCost:
    """One request's cost: the prefill (per prompt), one decode step (per token) and the total."""

    model: str
    prompt_tokens: int
    generated_tokens: int
    prefill: Mapping[str, Any]  # the prefill workload's row
    decode: Mapping[str, Any]  # the decode step's row, at the mean context
    feasible: bool

    @property
    def decode_context(self) -> int:
        """The KV-cache length the decode step is costed at."""
        return mean_context(self.prompt_tokens, self.generated_tokens)

    def total(self, metric: str) -> float:
        """``metric`` for the whole request: prefill + generated tokens x one decode step."""
        return float(self.prefill[metric]) + self.generated_tokens * float(self.decode[metric])

    @property
    def tokens_per_s(self) -> float:
        """Decode throughput: generated tokens per second at the mean context."""
        return 1e9 / float(self.decode["latency_ns"])


def mean_context(prompt_tokens: int, generated_tokens: int) -> int:
    """The mean KV-cache length over ``generated_tokens`` decode steps after the prompt."""
    return max(1, round(prompt_tokens + (generated_tokens + 1) / 2))


def request_cost(
    template: str,
    params: Mapping[str, object],
    model: str,
    prompt_tokens: int,
    generated_tokens: int,
    pipeline: DesignPipeline | None = None,
    evaluator: Evaluator | None = None,
) -> RequestCost:
    """The cost of one request on a design (raises :class:`InputError` for bad input)."""
    if model not in DECODERS:
        raise InputError(f"unknown LLM {model!r}", field="--model", allowed=list(DECODERS))
    for flag, n, low in (("--prompt", prompt_tokens, 1), ("--generate", generated_tokens, 0)):
        if not isinstance(n, int) or n < low:
            raise InputError(f"{n!r} tokens", field=flag, allowed=f"integers >= {low}")
    pipeline = pipeline or DesignPipeline()
    evaluator = evaluator or Evaluator()
    prefill = get_workload(f"{model}@prefill:{prompt_tokens}")
    dram_gb = float(resolve_params(template, dict(params))["dram_gb"])
    if dram_gb * 2**30 < prefill.weight_bytes:
        # the cost model checks each layer's tiles, not that the whole model is stored: an LLM
        # whose weights exceed the DRAM would be costed as if it fitted
        need = prefill.weight_bytes / 2**30
        raise InputError(
            f"{model} has {need:.3g} GiB of weights, more than the design's DRAM ({dram_gb:g} GiB)",
            field="dram_gb",
            allowed=f">= {need:.3g} (GiB)",
        )
    decode = get_workload(f"{model}@decode:{mean_context(prompt_tokens, generated_tokens)}")
    rows = pipeline.rows(template, params, [prefill, decode], geo=False, evaluator=evaluator)
    by_name = {str(r["workload"]): r for r in rows}
    p_row, d_row = by_name[prefill.name], by_name[decode.name]
    return RequestCost(
        model=model,
        prompt_tokens=prompt_tokens,
        generated_tokens=generated_tokens,
        prefill=p_row,
        decode=d_row,
        feasible=bool(p_row["feasible"]) and bool(d_row["feasible"]),
    )
