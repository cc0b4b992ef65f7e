"""Sweep-file validation: every mistake is one InputError line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.search.files.sweep_file import load_sweep_file, parse_sweep
from carbonspot.search.sweep import check_design

REPO = Path(__file__).resolve().parents[1]

GOOD = {
    "preset": "carbonspot2025",
    "workloads": ["ae"],
    "designs": [{"template": ["dimc", "aimc"], "params": {"dim": [32, 64], "sram_bytes": 8192}}],
}


def _bad(tmp_path: Path, text: str) -> tuple[Path, str]:
    f = tmp_path / "space.yaml"
    f.write_text(text)
    return f, str(f)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("designs: [{template: dimc}]\n", "workloads"),  # neither suite nor workloads
        ("suite: tiny\nworkloads: [ae]\ndesigns: [{template: dimc}]\n", "workloads"),
        ("suite: huge\ndesigns: [{template: dimc}]\n", "suite"),
        ("suite: tiny\ndesigns: []\n", "designs"),
        ("suite: tiny\ndesigns: [{template: dimcc}]\n", "designs[0].template"),
        ("suite: tiny\ndesigns: [{template: dimc, params: {dimm: 3}}]\n", "designs[0].params.dimm"),
        ("suite: tiny\ndesigns: [{template: dimc, params: {dim: []}}]\n", "designs[0].params.dim"),
        (
            "suite: tiny\ndesigns: [{template: dimc, params: {dim: [8, 8]}}]\n",
            "designs[0].params.dim",
        ),
        ("suite: tiny\ndesigns: [{template: dimc, extra: 1}]\n", "designs[0].extra"),
        ("suite: tiny\npreset: fancy\ndesigns: [{template: dimc}]\n", "preset"),
        ("suite: tiny\nobjective: power\ndesigns: [{template: dimc}]\n", "objective"),
        ("suite: tiny\nperiod_s: -1\ndesigns: [{template: dimc}]\n", "period_s"),
        ("suite: tiny\nfoo: 1\ndesigns: [{template: dimc}]\n", "foo"),
        ("- just\n- a list\n", None),
        ("suite: [tiny\n", "(syntax)"),  # not YAML
    ],
)
def test_bad_sweep_file_is_one_input_error(tmp_path, text, field):
    f, src = _bad(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_sweep_file(f)
    assert info.value.source == src
    assert info.value.field == field


def test_bad_sweep_file_cli_exit_2_one_line(tmp_path, capsys):
    f, src = _bad(tmp_path, "suite: tiny\ndesigns: [{template: dimcc}]\n")
    rc = main(["sweep", src, "--out", str(tmp_path / "o.csv"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1
    assert "dimcc" in err[0] and "allowed" in err[0] and src in err[0]
    assert not (tmp_path / "o.csv").exists()


def test_missing_file_exit_2(tmp_path, capsys):
    rc = main(["sweep", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_product_order_and_values():
    spec = parse_sweep(GOOD, "mem")
    designs = spec.designs()
    # template outermost, last parameter innermost, in the order written
    assert designs == [
        ("dimc", {"dim": 32, "sram_bytes": 8192}),
        ("dimc", {"dim": 64, "sram_bytes": 8192}),
        ("aimc", {"dim": 32, "sram_bytes": 8192}),
        ("aimc", {"dim": 64, "sram_bytes": 8192}),
    ]


def test_relative_workload_path_resolved_against_file(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("workloads: [nets/a.onnx, ae]\ndesigns: {template: dimc}\n")
    spec = load_sweep_file(f)
    assert spec.workloads == (str((tmp_path / "nets/a.onnx").resolve()), "ae")


@pytest.mark.parametrize(
    ("name", "designs", "valid"),
    # carbonspot-model.md §3.2: tiny skips (8K, 256/512/1024) and (32K, 1024) per type -> 26;
    # mobile skips none -> 30 per type.
    [("paper-tiny.yaml", 120, 104), ("paper-mobile.yaml", 120, 120)],
)
def test_paper_sweep_files(name, designs, valid):
    spec = load_sweep_file(REPO / "studies" / name)
    assert spec.preset == "carbonspot2025"
    assert spec.objective == "edp"
    all_designs = spec.designs()
    assert len(all_designs) == designs
    assert sum(check_design(t, p, spec.preset) is None for t, p in all_designs) == valid
    assert {t for t, _ in all_designs} == {"pdigital_os", "pdigital_ws", "aimc", "dimc"}


def test_period_for_unknown_workload_is_rejected(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text("workloads: [ae]\nperiod_s: {resnet8: 0.1}\ndesigns: {template: dimc}\n")
    rc = main(["sweep", str(f), "--out", str(tmp_path / "o.csv"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "period_s.resnet8" in err[0] and "ae" in err[0]
