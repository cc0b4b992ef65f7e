"""``carbonspot workload show|list`` output, including the issue-2 acceptance numbers."""

from __future__ import annotations

import json

import pytest

from carbonspot.cli import main
from carbonspot.workload.zoo import WORKLOAD_NAMES


def _show_json(name: str, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["workload", "show", name, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ds_cnn_json_acceptance(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _show_json("ds_cnn", capsys)
    assert {"name", "total_macs", "weight_bytes", "period_s", "layers"} <= set(doc)
    first_conv = next(layer for layer in doc["layers"] if layer["operator"] == "Conv")
    loops = first_conv["loops"]
    assert set(loops) == {"B", "K", "G", "C", "OY", "OX", "FY", "FX"}
    assert (loops["FY"], loops["FX"], loops["OY"], loops["OX"]) == (10, 4, 25, 5)
    assert (loops["K"], loops["C"]) == (64, 1)
    assert first_conv["stride"] == [2, 2]
    assert first_conv["macs"] == 64 * 25 * 5 * 10 * 4
    assert doc["total_macs"] == 2_656_768
    assert doc["weight_bytes"] == 22_016
    assert doc["period_s"] == pytest.approx(0.1)
    assert {"name", "operator", "loops", "stride", "macs"} <= set(first_conv)


@pytest.mark.parametrize(
    ("name", "macs"),
    [
        ("ae", 264_192),
        ("mobilenet_v1", 7_489_664),
        ("resnet8", 12_501_632),
        ("resnet18", 1_814_073_344),
    ],
)
def test_totals_acceptance(name: str, macs: int, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _show_json(name, capsys)
    assert doc["total_macs"] == macs
    assert doc["total_macs"] == sum(
        layer["macs"] for layer in doc["layers"] if not layer["costless"]
    )


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workload", "show", "resnet8"]) == 0
    out = capsys.readouterr().out
    assert "12,501,632" in out and "s2_shortcut" in out and "s1_add" not in out
    assert main(["workload", "show", "resnet8", "--all"]) == 0
    out_all = capsys.readouterr().out
    assert "s1_add" in out_all and "Add*" in out_all


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workload", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(WORKLOAD_NAMES)
    by_name = {r["name"]: r for r in rows}
    assert by_name["mobilenet_v1"]["fps"] == pytest.approx(0.75)
    assert by_name["deeplabv3"]["suite"] == "mobile"
    assert main(["workload", "list"]) == 0
    assert "mobilebert" in capsys.readouterr().out


def test_unknown_name_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workload", "show", "vgg16"]) == 2
    err = capsys.readouterr().err
    assert "vgg16" in err and "ds_cnn" in err and "Traceback" not in err


def test_yaml_export_round_trip(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workload", "show", "mobilenet_v1", "--format", "yaml"]) == 0
    path = tmp_path / "mnv1.yaml"
    path.write_text(capsys.readouterr().out)
    assert _show_json(str(path), capsys)["total_macs"] == 7_489_664


def test_long_onnx_names_are_shortened_in_tables_only(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    onnx_path = Path(__file__).resolve().parent / "data" / "onnx" / "ds_cnn.onnx"
    assert main(["workload", "show", str(onnx_path)]) == 0
    table = capsys.readouterr().out
    names = [line.split("  ")[0] for line in table.splitlines()[2:12]]
    # about 40 characters; names that would read the same get a few more of their tail
    assert all(len(name) <= 50 for name in names) and len(set(names)) == len(names)
    doc = _show_json(str(onnx_path), capsys)
    assert max(len(layer["name"]) for layer in doc["layers"]) > 100
