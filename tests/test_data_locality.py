"""``data_locality``: graph-based pruning (default) or zigzag-dse's whole hierarchy (off)."""

from __future__ import annotations

import pytest

from carbonspot.evaluate import evaluate_workload
from carbonspot.hardware.readers import load_accelerator
from carbonspot.workload import zoo


def test_off_sends_every_layers_activations_to_and_from_the_top_memory():
    wl = zoo.load_workload("resnet8")
    acc = load_accelerator("pdigital_ws:dim=32,sram_bytes=131072", "corrected", wl.weight_bytes)
    on = evaluate_workload(acc, wl, objective="energy")
    off = evaluate_workload(acc, wl, objective="energy", data_locality=False)
    assert on.feasible and off.feasible
    top = acc.levels("O")[-1].name
    # zigzag-dse's default (exploit_data_locality=False): every layer reads I from and writes
    # O to the top memory
    for layer in off.layers:
        assert f"mem:{top}:I" in layer.energy_breakdown_pj, layer.layer
        assert f"mem:{top}:O" in layer.energy_breakdown_pj, layer.layer
    # with pruning, resnet8's chain layers keep their small outputs on chip
    assert any(f"mem:{top}:O" not in la.energy_breakdown_pj for la in on.layers)
    assert off.energy_pj > on.energy_pj
    # same array energy: only the memory traffic differs
    assert sum(la.energy_breakdown_pj["array"] for la in on.layers) == sum(
        la.energy_breakdown_pj["array"] for la in off.layers
    )


def test_sweep_and_study_files_take_data_locality(tmp_path):
    from carbonspot.errors import InputError
    from carbonspot.search.files.study_file import load_study_file
    from carbonspot.search.files.sweep_file import load_sweep_file
    from carbonspot.search.sweep import run_sweep

    def sweep(value):
        path = tmp_path / f"s_{value}.yaml"
        path.write_text(
            f"name: s\nworkloads: [resnet8]\ndata_locality: {value}\ndesigns:\n"
            "  - template: pdigital_ws\n    params: {dim: [32], sram_bytes: [131072]}\n"
        )
        return load_sweep_file(path)

    on, off = sweep("on"), sweep("off")
    assert on.data_locality and not off.data_locality
    e_on = run_sweep(on, jobs=1).rows[0]["energy_pj"]
    e_off = run_sweep(off, jobs=1).rows[0]["energy_pj"]
    assert e_off > e_on
    with pytest.raises(InputError, match=r"data_locality.*allowed: on, off"):
        sweep("sometimes")
    study = tmp_path / "st.yaml"
    study.write_text(
        "name: st\nworkloads: [ae]\ndata_locality: off\nn_trials: 2\ntemplate: dimc\n"
        "variables: {dim: {choices: [64, 128]}}\nobjectives: [latency, energy]\n"
    )
    spec = load_study_file(study)
    assert spec.data_locality is False and spec.evaluator().data_locality is False


def test_cli_data_locality_flag(capsys):
    import json

    from carbonspot.cli import main

    energies = {}
    for value in ("on", "off"):
        argv = ["evaluate", "-a", "pdigital_ws:dim=32", "-w", "resnet8", "--format", "json"]
        assert main([*argv, "--data-locality", value]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["data_locality"] == value
        energies[value] = doc["energy_pj"]
    assert energies["off"] > energies["on"]
    with pytest.raises(SystemExit) as exit_:  # argparse: one usage line, exit code 2
        main(["evaluate", "-a", "pdigital_ws:dim=32", "-w", "ae", "--data-locality", "x"])
    assert exit_.value.code == 2
