"""LLM requests: prefill + generated tokens; decode is DRAM-bound when weights stream from DRAM."""

from __future__ import annotations

import json

import pytest

from carbonspot.cli import main
from carbonspot.design import DesignPipeline
from carbonspot.errors import InputError
from carbonspot.serving import mean_context, request_cost
from carbonspot.workload import zoo

SPEC = ("pdigital_ws", {"dim": 32, "sram_bytes": 1 << 20, "dram_gb": 1})


def test_request_is_prefill_plus_tokens_times_one_decode_step():
    cost = request_cost(*SPEC, "qwen2.5-0.5b", 64, 32)
    assert cost.feasible and cost.decode_context == mean_context(64, 32) == 80
    for metric in ("latency_ns", "energy_pj", "carbon_ca_g", "carbon_pa_g"):
        expected = cost.prefill[metric] + 32 * cost.decode[metric]
        assert cost.total(metric) == pytest.approx(expected)
    # decode's attention MACs are linear in the context, so one step at the mean context
    # carries the mean MACs of the 32 steps exactly
    steps = [zoo.load_workload(f"qwen2.5-0.5b@decode:{64 + k}").total_macs for k in range(1, 33)]
    mean = zoo.load_workload(f"qwen2.5-0.5b@decode:{cost.decode_context}").total_macs
    assert sum(steps) / 32 == pytest.approx(mean, rel=1e-4)


def test_decode_with_weights_in_dram_is_memory_bound():
    row = DesignPipeline().rows(*SPEC, [zoo.load_workload("qwen2.5-0.5b@decode:512")], geo=False)
    row = row[0]
    assert row["feasible"]
    assert row["latency_stall_cycles"] > 0.8 * row["latency_cycles"]  # waiting for DRAM
    assert row["energy_mem_dram_W_pj"] > 0.5 * row["energy_pj"]  # weights read from DRAM


def test_imc_template_runs_prefill_and_decode():
    rows = DesignPipeline().rows(
        "dimc",
        {"dim": 128, "macros": 2, "dram_gb": 1},
        [zoo.load_workload("qwen2.5-0.5b@prefill:32"), zoo.load_workload("qwen2.5-0.5b@decode:64")],
        geo=False,
    )
    assert all(r["feasible"] for r in rows)


def test_dram_must_hold_the_weights():
    with pytest.raises(InputError, match="dram_gb"):
        request_cost("pdigital_ws", {"dim": 32, "dram_gb": 0.25}, "tinyllama-1.1b", 8, 8)


def test_cli_request_table_and_json(capsys):
    spec = "pdigital_ws:dim=32,sram_bytes=1048576,dram_gb=1"
    assert main(["llm", "request", "-a", spec, "-m", "qwen2.5-0.5b", "--prompt", "16",
                 "--generate", "8"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "per prompt, per generated token and per request" in out and "tokens/s" in out
    assert main(["llm", "request", "-a", spec, "-m", "qwen2.5-0.5b", "--prompt", "16",
                 "--generate", "8", "--format", "json"]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert doc["decode_context"] == mean_context(16, 8)
    assert doc["per_request"]["energy_pj"] == pytest.approx(
        doc["per_prompt"]["energy_pj"] + 8 * doc["per_token"]["energy_pj"]
    )
    assert (
        main(["llm", "request", "-a", "pdigital_ws:dim=32,dram_gb=0.1", "-m", "qwen2.5-0.5b"]) == 2
    )


def test_report_says_what_one_inference_is_for_llm_workloads():
    import pandas as pd

    from carbonspot.report.design_set import DesignSet
    from carbonspot.report.write import inference_note

    def ds(names):
        per = pd.DataFrame({"design_id": [0] * len(names), "workload": names})
        return DesignSet("sweep", "s", pd.DataFrame(), per_workload=per)

    assert "one generated token" in inference_note(ds(["qwen2.5-0.5b@decode:512"]))
    two = inference_note(ds(["qwen2.5-0.5b@decode:512", "tinyllama-1.1b@decode:256"]))
    assert two.startswith("one inference = one generated token")
    assert inference_note(ds(["resnet8", "qwen2.5-0.5b@decode:512"])) is None
