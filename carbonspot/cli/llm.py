"""``carbonspot llm request``: an LLM request (prompt + generated tokens) on one template design."""

from __future__ import annotations

import argparse
import sys

from carbonspot.cli._carbon_flags import add_carbon_arguments, add_preset_argument, carbon_flags
from carbonspot.cli._output import print_json, print_table
from carbonspot.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``llm request``."""
    from carbonspot.workload.zoo.llm import DECODERS

    parser = subparsers.add_parser(
        "llm",
        help="cost and carbon of an LLM request (prompt + generated tokens) on a design",
        description="On-device LLM serving: a request is a prefill of the prompt and one decode "
        "step per generated token (costed at the mean KV-cache length). See docs/workloads.md.",
    )
    sub = parser.add_subparsers(dest="llm_command", metavar="ACTION", required=True)
    req = sub.add_parser(
        "request",
        help="per prompt, per token and per request: latency, energy, CA and PA carbon",
        description="Latency, energy and carbon (CA and PA) of one request: the prefill (per "
        "prompt), one decode step (per generated token) and the whole request.",
    )
    req.add_argument(
        "-a", "--accelerator", required=True, metavar="SPEC",
        help="a template spec NAME:key=value,... (give dram_gb that holds the weights, e.g. 2)",
    )  # fmt: skip
    req.add_argument("-m", "--model", required=True, choices=sorted(DECODERS), metavar="MODEL",
                     help="one of " + ", ".join(sorted(DECODERS)))  # fmt: skip
    req.add_argument("--prompt", type=int, default=128, metavar="P", help="prompt tokens (128)")
    req.add_argument(
        "--generate", type=int, default=128, metavar="G", help="generated tokens (128)"
    )
    req.add_argument("--objective", choices=("edp", "energy", "latency"), default="edp",
                     help="the mapper's per-layer objective (default: edp)")  # fmt: skip
    add_preset_argument(req)
    add_carbon_arguments(req)
    req.add_argument("--format", choices=("table", "json"), default="table")
    req.set_defaults(func=run_request)


def run_request(args: argparse.Namespace) -> int:
    """Evaluate the prefill and the decode step and print per prompt, per token, per request."""
    from carbonspot.design import DesignPipeline
    from carbonspot.hardware.templates import TEMPLATE_NAMES, parse_template_spec
    from carbonspot.presets import get_preset
    from carbonspot.serving import REQUEST_METRICS, request_cost

    preset = get_preset(args.preset).name
    template, params = parse_template_spec(args.accelerator)
    if template not in TEMPLATE_NAMES:
        raise InputError(
            f"unknown template {template!r}", field="--accelerator", allowed=TEMPLATE_NAMES
        )
    carbon = carbon_flags(args, preset)
    pipeline = DesignPipeline.from_overrides(
        preset, args.objective, carbon=carbon.overrides, carbon_preset=carbon.preset,
        source=carbon.source,
    )  # fmt: skip
    cost = request_cost(template, params, args.model, args.prompt, args.generate, pipeline)
    if not cost.feasible:
        reason = cost.prefill.get("reason") or cost.decode.get("reason")
        raise InputError(f"the design cannot run {args.model}: {reason}", field="--accelerator")
    rows = []
    for unit, row in (
        (f"prompt ({cost.prompt_tokens} tokens)", cost.prefill),
        (f"token (decode, KV cache {cost.decode_context})", cost.decode),
        (f"request ({cost.prompt_tokens} + {cost.generated_tokens} tokens)", None),
    ):

        def value(metric: str, row=row) -> float:
            return float(row[metric]) if row is not None else cost.total(metric)

        rows.append(
            {
                "per": unit,
                "latency_ms": value("latency_ns") / 1e6,
                "energy_mj": value("energy_pj") / 1e9,
                "carbon_ca_g": value("carbon_ca_g"),
                "carbon_pa_g": value("carbon_pa_g"),
                "stall_%": (
                    100 * float(row.get("latency_stall_cycles", 0)) / float(row["latency_cycles"])
                    if row is not None and float(row["latency_cycles"]) > 0
                    else None
                ),
            }
        )
    if args.format == "json":
        print_json(
            {
                "model": cost.model,
                "accelerator": args.accelerator,
                "preset": preset,
                "prompt_tokens": cost.prompt_tokens,
                "generated_tokens": cost.generated_tokens,
                "decode_context": cost.decode_context,
                "tokens_per_s": cost.tokens_per_s,
                "per_prompt": dict(cost.prefill),
                "per_token": dict(cost.decode),
                "per_request": {m: cost.total(m) for m in REQUEST_METRICS},
            }  # fmt: skip
        )
        return 0
    print(f"{args.model} on {args.accelerator} (preset {preset}): {cost.tokens_per_s:.3g} tokens/s")
    print_table(rows)
    print(
        "carbon in g CO2-eq per prompt, per generated token and per request; stall_% = share of "
        "the latency spent waiting for memory (DRAM-bound when the weights do not fit on chip)",
        file=sys.stdout,
    )
    return 0
