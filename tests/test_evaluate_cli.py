"""``carbonspot evaluate``: JSON keys and consistency, overrides, table output, bad input."""

from __future__ import annotations

import json

import pytest

from carbonspot.cli import main

ACC = "dimc:dim=32,sram_bytes=32768"


def _json(capsys, *extra: str) -> dict:
    argv = ["evaluate", "--accelerator", ACC, "--workload", "ae", "--preset", "carbonspot2025",
            "--format", "json", *extra]  # fmt: skip
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def record():
    """The JSON record of ae on a 32x32 DIMC (computed once for the module)."""
    from carbonspot.cli.evaluate import evaluate_record

    return json.loads(json.dumps(evaluate_record(ACC, "ae", preset="carbonspot2025")))


def test_json_keys(capsys):
    rec = _json(capsys)
    for key in ("energy_pj", "latency_cycles", "tclk_ns", "latency_ns", "area_mm2", "tops_per_w",
                "energy_breakdown_pj", "latency_breakdown_cycles", "area_breakdown_mm2",
                "tclk_breakdown_ns", "carbon_ca_g", "carbon_pa_g", "carbon_breakdown_g",
                "meets_period", "period_s", "layers"):  # fmt: skip
        assert key in rec, key
    assert rec["feasible"] is True and rec["workload"] == "ae" and rec["acc_type"] == "dimc"
    assert len(rec["layers"]) == 10  # ae: 10 dense layers (carbonspot-model.md §11)
    for layer in rec["layers"]:
        assert {"layer", "energy_pj", "latency_cycles", "spatial_mapping",
                "temporal_mapping"} <= set(layer)  # fmt: skip
        assert layer["spatial_mapping"] and layer["temporal_mapping"]
        assert all("dim" in loop and "levels" in loop for loop in layer["temporal_mapping"])


def test_json_is_consistent(record):
    assert record["latency_ns"] == pytest.approx(record["latency_cycles"] * record["tclk_ns"])
    assert record["tops_per_w"] == pytest.approx(record["ops"] / record["energy_pj"])
    assert sum(x["energy_pj"] for x in record["layers"]) == pytest.approx(record["energy_pj"])
    assert sum(x["latency_cycles"] for x in record["layers"]) == pytest.approx(
        record["latency_cycles"]
    )
    assert sum(record["energy_breakdown_pj"].values()) == pytest.approx(record["energy_pj"])
    assert sum(record["area_breakdown_mm2"].values()) == pytest.approx(record["area_mm2"])
    for sc in ("ca", "pa"):
        parts = record["carbon_breakdown_g"][sc]
        assert sum(
            parts[p]
            for p in ("operational", "die_epa", "die_gpa", "die_mpa", "package", "dram", "ssd")
        ) == pytest.approx(record[f"carbon_{sc}_g"])
    assert record["period_s"] == pytest.approx(1.0)  # ae runs at 1 FPS (carbonspot-model.md §3.1)


def test_period_and_carbon_overrides(capsys, record):
    rec = _json(capsys, "--period", "1e-9", "--carbon", "grid=602")
    assert rec["period_s"] == 1e-9 and rec["meets_period"] is False
    # operational carbon = energy x grid: doubling the grid doubles it
    assert rec["carbon_breakdown_g"]["ca"]["operational"] == pytest.approx(
        2 * record["carbon_breakdown_g"]["ca"]["operational"]
    )
    assert rec["energy_pj"] == pytest.approx(record["energy_pj"])


def test_objective_flag(capsys, record):
    # each objective's optimum is at least as good as the EDP optimum on its own metric
    energy = _json(capsys, "--objective", "energy")
    latency = _json(capsys, "--objective", "latency")
    assert energy["objective"] == "energy" and latency["objective"] == "latency"
    assert energy["energy_pj"] <= record["energy_pj"] * (1 + 1e-12)
    assert latency["latency_cycles"] <= record["latency_cycles"] * (1 + 1e-12)


def test_table_output(capsys):
    argv = ["evaluate", "-a", ACC, "-w", "ae", "--preset", "carbonspot2025"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "carbon_ca_g" in out and "dense_0" in out and "D1:" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["-a", "dimcc:dim=32", "-w", "ae"],
        ["-a", ACC, "-w", "no_such_net"],
        ["-a", ACC, "-w", "ae", "--carbon", "nonsense=1"],
        ["-a", ACC, "-w", "ae", "--period", "-1"],
        ["-a", "dimc:dim=1024,sram_bytes=8192", "-w", "ae"],
    ],
)
def test_bad_input_one_line_exit_2(capsys, argv):
    assert main(["evaluate", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


def test_mapping_file_fixes_spatial_unrolling(tmp_path, capsys, record):
    mapping = tmp_path / "map.yaml"  # ZigZag v3 mapping YAML (zigzag-model.md §2.3)
    mapping.write_text(
        "- name: default\n"
        "  spatial_mapping: {D1: ['K, 16'], D2: ['C, 32']}\n"
        "  memory_operand_links: {O: O, W: I2, I: I1}\n"
    )
    rec = _json(capsys, "--mapping", str(mapping))
    dense_1 = next(x for x in rec["layers"] if x["layer"] == "dense_1")  # K=128, C=128
    assert dense_1["spatial_mapping"] == {"D1": [["K", 16.0]], "D2": [["C", 32.0]]}
    # a fixed mapping can only be as good as the searched one (EDP, layer by layer)
    for fixed, free in zip(rec["layers"], record["layers"], strict=True):
        edp_fixed = fixed["energy_pj"] * fixed["latency_cycles"]
        assert edp_fixed >= free["energy_pj"] * free["latency_cycles"] * (1 - 1e-9)


def test_design_dram_is_charged_unless_carbon_says_otherwise(capsys):
    acc = "dimc:dim=32,sram_bytes=32768,dram_gb=0.5"
    base = ["evaluate", "-a", acc, "-w", "ae", "--format", "json"]
    assert main(base) == 0
    built = json.loads(capsys.readouterr().out)
    assert main([*base, "--carbon", "dram_gb=1"]) == 0
    explicit = json.loads(capsys.readouterr().out)
    assert built["carbon_params"]["dram_gb"] == 0.5
    assert explicit["carbon_params"]["dram_gb"] == 1.0
    # DRAM carbon is proportional to the capacity charged (same design, same latency)
    assert explicit["carbon_ca_dram_g"] == pytest.approx(2 * built["carbon_ca_dram_g"])
