"""Every loader rejects a key given twice: exit code 2, naming the file (or spec) and the key.

YAML files go through carbonspot.yaml_file (both line numbers in the message); template specs
through hardware.templates.parse_template_spec. ZigZag's own files are the one exception (read
as PyYAML reads them, with a warning): tests/test_yaml_file.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonspot.cli import main

ROOT = Path(__file__).resolve().parents[1]

HARDWARE = """\
name: acc
array: {type: digital, dims: {D1: 8, D2: 8}, dims: {D1: 4}}
"""
WORKLOAD = "name: n\nlayers:\n  - operator: Conv\n    loops: {K: 8, C: 8, K: 16}\n"
MAPPING = """\
- name: default
  spatial_mapping: {D1: [K, 8]}
  spatial_mapping: {D1: [C, 8]}
"""
SWEEP = """\
name: s
suite: tiny
designs:
  - template: dimc
    params: {dim: [64], dim: [128]}
"""
STUDY = """\
name: st
suite: tiny
n_trials: 4
n_trials: 8
template: dimc
variables: {dim: {choices: [64, 128]}}
objectives: [latency, energy]
"""
CARBON = "grid_g_per_kwh: 300\ngrid_g_per_kwh: 400\n"


@pytest.mark.parametrize(
    ("kind", "text", "argv", "key"),
    [
        ("hardware", HARDWARE, ["hardware", "show", "{f}"], "dims"),
        ("workload", WORKLOAD, ["workload", "show", "{f}"], "K"),
        ("mapping", MAPPING, ["evaluate", "-a", "dimc:dim=64", "-w", "ae", "--mapping", "{f}"], "spatial_mapping"),
        ("sweep", SWEEP, ["sweep", "{f}", "--out", "{out}"], "dim"),
        ("study", STUDY, ["study", "run", "{f}"], "n_trials"),
        ("carbon", CARBON, ["evaluate", "-a", "dimc:dim=64", "-w", "ae", "--carbon-file", "{f}"], "grid_g_per_kwh"),
    ],
)  # fmt: skip
def test_yaml_loader_rejects_a_duplicated_key(tmp_path, capsys, kind, text, argv, key):
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    args = [a.format(f=path, out=tmp_path / "out.csv") for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{kind}.yaml" in err and f"{key!r} is given twice" in err, err
    assert "Traceback" not in err


def test_template_spec_rejects_a_duplicated_parameter(capsys):
    assert main(["evaluate", "-a", "dimc:dim=64,dim=128", "-w", "ds_cnn"]) == 2
    err = capsys.readouterr().err
    assert "dimc:dim=64,dim=128" in err and "'dim' is given twice" in err
