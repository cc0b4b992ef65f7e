"""``carbonspot hardware show`` end to end (one CLI call per case, in-process)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from carbonspot.cli import main

DATA = Path(__file__).resolve().parent / "data"


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_show_json_matches_calibration_row(capsys) -> None:
    # one published design through the CLI (all rows are covered via the API)
    with (DATA / "carbonspot2025_tiny_calibration.csv").open(newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["acc_type"] == "AIMC")
    spec = f"AIMC:dim={row['dim']},sram_bytes={row['sram_bytes']}"
    code, out, _ = _run(
        capsys, ["hardware", "show", spec, "--preset", "carbonspot2025", "--format", "json"]
    )
    assert code == 0
    info = json.loads(out)
    assert info["spec"] == spec
    assert info["area_mm2"] == pytest.approx(float(row["area_mm2"]), rel=0.01)
    assert info["tclk_ns"] == pytest.approx(float(row["tclk_ns"]), rel=0.01)
    for key in ("area_breakdown_mm2", "peak_tops", "peak_tops_per_w", "peak_tops_per_mm2"):
        assert key in info
    assert sum(info["area_breakdown_mm2"].values()) == pytest.approx(info["area_mm2"])


def test_show_several_is_a_list_and_table_prints(capsys) -> None:
    code, out, _ = _run(
        capsys, ["hardware", "show", "dimc:dim=64", "pdigital_os:dim=32", "--format", "json"]
    )
    assert code == 0
    infos = json.loads(out)
    assert [i["spec"] for i in infos] == ["dimc:dim=64", "pdigital_os:dim=32"]
    code, out, _ = _run(capsys, ["hardware", "show", "aimc:dim=64"])
    assert code == 0 and "memory hierarchy" in out and "array:adcs" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["hardware", "show", "dimc:dim=100"], "dim"),
        (["hardware", "show", "dimc:dim=128,sram_bytes=1024"], "sram_bytes"),
        (["hardware", "show", "tpu:dim=8"], "allowed"),
        (["hardware", "show", "aimc:bogus=1"], "bogus"),
    ],
)
def test_show_bad_input_exit_2(capsys, argv: list[str], needle: str) -> None:
    code, out, err = _run(capsys, argv)
    assert code == 2
    assert needle in err and "allowed" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_templates_lists_every_parameter_once(capsys) -> None:
    from carbonspot.hardware.templates import TEMPLATE_PARAMETERS

    code, out, _ = _run(capsys, ["hardware", "templates", "--format", "json"])
    assert code == 0
    rows = json.loads(out)
    assert [r["parameter"] for r in rows] == [p.name for p in TEMPLATE_PARAMETERS]
    vdd = next(r for r in rows if r["parameter"] == "vdd_v")
    assert vdd["templates"] == "pdigital_ws,pdigital_os,aimc,dimc" and vdd["allowed"] == "0.3..2 V"


def test_bad_preset_is_one_line(capsys) -> None:
    code, out, err = _run(capsys, ["hardware", "show", "dimc:dim=64", "--preset", "fancy"])
    assert code == 2 and "allowed" in err and len(err.strip().splitlines()) == 1
