"""Numbers that say what they are (issue 12, part 3): units, no-period, unused parameters,
column legends, chip names, short layer names and design labels in what users see."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from carbonspot.cli import main
from carbonspot.design import param_applies, shown_params
from carbonspot.formatting import CARBON_UNIT, shorten_middle, shorten_names
from carbonspot.hardware.templates import TEMPLATE_NAMES, TEMPLATE_PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
ONNX = ROOT / "tests" / "data" / "onnx"
BASELINE = ROOT / "tests" / "data" / "baseline" / "paper_tiny_sweep.csv"
PER_INFERENCE = "per inference"


def _parameters_line(out: str) -> dict[str, str]:
    """The ``parameters: k=v ...`` line of an ``evaluate`` table (continued lines included)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("parameters: "))
    text = lines[start][len("parameters: ") :]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        text += " " + line.strip()
    return dict(item.split("=", 1) for item in text.split())


def _summary_value(out: str, metric: str) -> str:
    line = next(line for line in out.splitlines() if line.split()[:1] == [metric])
    return line.split()[1]


# --------------------------------------------------------------------------------------------
# which template parameters apply


def test_adc_bits_applies_to_aimc_only() -> None:
    assert param_applies("aimc", "adc_bits")
    assert not param_applies("dimc", "adc_bits")  # taken, unused: a DIMC has no ADC
    assert not param_applies("pdigital_ws", "adc_bits")  # not taken at all
    assert param_applies("dimc", "input_bits_per_cycle") and param_applies("dimc", "sram_bytes")


def test_names_that_are_no_template_parameter_and_files_always_apply() -> None:
    assert param_applies("dimc", "acc_type") and param_applies("dimc", "objective")
    assert param_applies("my_accelerator", "adc_bits")  # a hardware YAML: not a template
    assert shown_params("dimc", {"dim": 64, "adc_bits": 4.5, "macros": 2}) == {
        "dim": 64,
        "macros": 2,
    }


def test_every_template_takes_what_applies_to_it() -> None:
    for template in TEMPLATE_NAMES:
        for p in TEMPLATE_PARAMETERS:
            if param_applies(template, p.name):
                assert template in p.templates, (template, p.name)


# --------------------------------------------------------------------------------------------
# short names


def test_shorten_middle_keeps_the_tail() -> None:
    name = "/layer1/layer1.0/conv1/Conv"
    assert shorten_middle(name) == name  # fits: unchanged
    long = "TFLITE2ONNX_FAF_model/activation_1/Relu;model/batch_normalization_1/x;model/conv2d_1/Conv2D1"
    short = shorten_middle(long)
    assert len(short) == 40 and "…" in short
    assert short.endswith("model/conv2d_1/Conv2D1") and short.startswith("TFLITE2ONNX")


def test_shorten_names_keeps_distinct_names_distinct() -> None:
    stem = "TFLITE2ONNX_FAF_functional_1/" + "x" * 60
    names = [f"{stem}/depthwise_conv2d{s}/BiasAdd/ReadVariableOp/resource1" for s in ("", "_1")]
    names.append("dense")
    short = shorten_names(names)
    assert len(set(short)) == 3 and short[2] == "dense"
    assert all(len(s) < 60 for s in short)
    assert shorten_names(["a" * 50, "a" * 50]) == [shorten_middle("a" * 50)] * 2  # same name


# --------------------------------------------------------------------------------------------
# evaluate


def test_evaluate_table_says_per_inference_and_hides_unused_parameters(capsys) -> None:
    argv = ["evaluate", "-a", "dimc:dim=128,sram_bytes=131072", "-w", "ae"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"carbon_*_g: {CARBON_UNIT}" in out
    params = _parameters_line(out)
    assert params["dim"] == "128" and params["sram_bytes"] == "131072"
    assert "adc_bits" not in out  # 4.5 by the formula, but a DIMC has no ADC
    assert params["input_bits_per_cycle"] == "1"
    assert _summary_value(out, "meets_period") == "True"  # ae has a period (1 s)


def test_evaluate_json_params_leave_out_unused_ones(capsys) -> None:
    assert main(["evaluate", "-a", "dimc:dim=32", "-w", "ae", "--format", "json"]) == 0
    dimc = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "-a", "aimc:dim=32", "-w", "ae", "--format", "json"]) == 0
    aimc = json.loads(capsys.readouterr().out)
    assert "adc_bits" not in dimc["params"] and dimc["params"]["dim"] == 32
    assert aimc["params"]["adc_bits"] == pytest.approx(2 + 0.5 * 5)  # b + 0.5·floor(log2 32)


def test_exported_template_yaml_hides_unused_parameters_too(tmp_path, capsys) -> None:
    path = tmp_path / "dimc32.yaml"
    assert main(["hardware", "export", "dimc:dim=32", "-o", str(path)]) == 0
    assert "adc_bits" in path.read_text()  # the file keeps every resolved parameter
    assert main(["evaluate", "-a", str(path), "-w", "ae"]) == 0
    out = capsys.readouterr().out
    assert _parameters_line(out)["dim"] == "32" and "adc_bits" not in out


def test_meets_period_is_a_dash_without_a_period(capsys) -> None:
    onnx = str(ONNX / "ds_cnn.onnx")  # an ONNX file has no frame rate
    assert main(["evaluate", "-a", "dimc:dim=64", "-w", onnx]) == 0
    out = capsys.readouterr().out
    assert _summary_value(out, "period_s") == "-"
    assert _summary_value(out, "meets_period") == "-"
    assert "no period" in out
    assert main(["evaluate", "-a", "dimc:dim=64", "-w", onnx, "--period", "0.1"]) == 0
    assert _summary_value(capsys.readouterr().out, "meets_period") == "True"


def test_evaluate_shortens_layer_names_in_the_table_not_in_json(capsys) -> None:
    onnx = str(ONNX / "ds_cnn.onnx")
    assert main(["evaluate", "-a", "dimc:dim=64", "-w", onnx]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("layer "))
    rows = [line for line in lines[head + 2 :] if line.strip()]
    names = [re.split(r"\s{2,}", row)[0] for row in rows]
    assert len(names) == 10 and len(set(names)) == 10
    assert max(len(n) for n in names) <= 50 and any("…" in n for n in names)
    assert max(len(line) for line in lines) < 200
    assert main(["evaluate", "-a", "dimc:dim=64", "-w", onnx, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert max(len(layer["layer"]) for layer in doc["layers"]) > 100  # JSON: full names


def _readme_commands(prefix: str) -> list[list[str]]:
    """The README's ``carbonspot PREFIX ...`` examples that run on a fresh clone, as argv."""
    text = (ROOT / "README.md").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split("  #")[0].strip()
        if not line.startswith(f"carbonspot {prefix}"):
            continue
        argv = shlex.split(line)[1:]
        if any(a.endswith((".yaml", ".onnx", ".csv")) and not Path(a).exists() for a in argv):
            continue  # the user's own files (my_accelerator.yaml, model.onnx)
        out.append(argv)
    return out


def _tables(argv: list[str], tmp_path: Path) -> list[str]:
    """``argv`` as a table: ``--format json`` dropped, ``--plot FILE`` written under tmp_path."""
    out, skip = [], False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a == "--format" and argv[i + 1] == "json":
            skip = True
            continue
        if a == "--plot":
            out += [a, str(tmp_path / Path(argv[i + 1]).name)]
            skip = True
            continue
        out.append(a)
    return out


def test_readme_evaluate_tables_say_per_inference_and_show_only_applying_params(
    tmp_path, capsys
) -> None:
    commands = _readme_commands("evaluate")
    assert len(commands) >= 4
    for argv in commands:
        assert main(_tables(argv, tmp_path)) == 0, argv
        out = capsys.readouterr().out
        assert PER_INFERENCE in out, argv
        spec = argv[argv.index("-a" if "-a" in argv else "--accelerator") + 1]
        if spec.endswith((".yaml", ".yml")):
            continue  # a hardware file has no template parameters to show
        template = spec.split(":")[0]
        for name in _parameters_line(out):
            assert param_applies(template, name), (argv, name)


def test_readme_literature_and_validate_tables_explain_their_columns(tmp_path, capsys) -> None:
    for argv in _readme_commands("literature"):
        assert main(_tables(argv, tmp_path)) == 0, argv
        out = capsys.readouterr().out
        assert PER_INFERENCE in out and "https://doi.org/" in out, argv
    for argv in _readme_commands("validate imc"):
        assert main(_tables(argv, tmp_path)) == 0, argv
        out = capsys.readouterr().out
        legend = [line for line in out.splitlines() if line.startswith("area_%, tclk_%, energy_%:")]
        assert legend and "model / reported x 100" in legend[0]
        assert "energy_validated False:" in out and "zigzag_imc_%:" in out


# --------------------------------------------------------------------------------------------
# sweep and report


def test_sweep_summary_says_what_the_carbon_columns_are(tmp_path, capsys) -> None:
    space = tmp_path / "s.yaml"
    space.write_text("workloads: [ae]\ndesigns: {template: dimc, params: {dim: 32}}\n")
    assert main(["sweep", str(space), "--out", str(tmp_path / "o.csv"), "--no-progress"]) == 0
    assert f"carbon_*_g: {CARBON_UNIT}" in capsys.readouterr().err


def _imc_frame() -> pd.DataFrame:
    """Two designs of a sweep over aimc and dimc that both set adc_bits (dimc ignores it).

    The aimc design is the fastest, best TOP/s/W, lowest energy and CA carbon; the dimc design
    the lowest PA carbon.
    """
    rows = []
    for k, acc in enumerate(("aimc", "dimc")):
        rows.append(
            {
                "design": f"{acc} d=64",
                "acc_type": acc,
                "dim": 64,
                "adc_bits": 4.5,
                "latency_ns": 100.0 * (1 + k),
                "energy_pj": 1e6 * (1 + k),
                "area_mm2": 1.0,
                "tclk_ns": 2.0,
                "tops_per_w": 2.0 - k,
                "carbon_ca_g": 1e-9 * (1 + k),
                "carbon_pa_g": 1e-7 / (1 + k),
                "carbon_ca_operational_g": 0.5e-9 * (1 + k),
                "carbon_ca_die_epa_g": 0.5e-9 * (1 + k),
                "carbon_pa_operational_g": 0.5e-7 / (1 + k),
                "carbon_pa_die_epa_g": 0.5e-7 / (1 + k),
                "feasible": True,
                "meets_period": True,
            }
        )
    df = pd.DataFrame(rows).set_index("design", drop=False)
    df.attrs["params"] = ["acc_type", "dim", "adc_bits"]
    df.attrs["objectives"] = [("latency_ns", "min"), ("carbon_pa_g", "min")]
    return df


def test_report_table_hides_parameters_that_do_not_apply() -> None:
    from carbonspot.report import select
    from carbonspot.report.write import format_text_table, side_by_side

    df = _imc_frame()
    table = select.compare(df)
    header, rows = side_by_side(table)
    by_label = {r[0]: r[1:] for r in rows}
    templates = dict(zip(header[1:], by_label["acc_type"], strict=True))
    cells = dict(zip(header[1:], by_label["adc_bits"], strict=True))
    assert templates["fastest"] == "aimc" and cells["fastest"] == "4.5"
    assert templates["lowest PA carbon"] == "dimc" and cells["lowest PA carbon"] == "-"
    text = format_text_table(header, rows)
    assert f"carbon CA [{CARBON_UNIT}]" in text and f"carbon PA operational [{CARBON_UNIT}]" in text


def test_report_cli_carbon_rows_say_per_inference(tmp_path, capsys) -> None:
    argv = ["report", str(BASELINE), "--out", str(tmp_path / "r"), "--no-layers"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    carbon_rows = [
        line for line in out.splitlines() if line.startswith("carbon ") and "÷" not in line
    ]
    assert carbon_rows and all(PER_INFERENCE in line for line in carbon_rows)


def test_figures_name_designs_by_selection_not_d1() -> None:
    from carbonspot.report import select
    from carbonspot.report.design_set import DesignSet
    from carbonspot.report.plots import carbon_breakdown, performance_bars

    df = _imc_frame()
    ds = DesignSet("sweep", "imc", df)
    sel = select.select_indices(df)
    for fig in (carbon_breakdown(ds, sel), performance_bars(ds, sel)):
        ticks = {
            t.get_text().replace("\n", " ")
            for ax in fig.axes
            if ax.get_visible()
            for t in ax.get_xticklabels()
        }
        assert "fastest" in ticks and "lowest PA carbon" in ticks
        assert not any(re.fullmatch(r"D\d+", t) for t in ticks)
        key = fig._supxlabel.get_text()
        assert key.startswith("fastest = aimc d=64 (fastest") and "D1" not in key


# --------------------------------------------------------------------------------------------
# literature


def test_literature_chips_have_short_names_and_references(capsys) -> None:
    from carbonspot.carbon.chips import load_chips

    chips = {c.id: c for c in load_chips()}
    assert chips[9].label == "CICC'23 DIMC 28nm iMCU"
    assert chips[9].reference == "https://doi.org/10.1109/CICC57935.2023.10121221"
    assert chips[11].reference == "https://ieeexplore.ieee.org/document/9508673"
    assert len({c.label for c in chips.values()}) == 13  # every name is distinct
    assert main(["literature", "--suite", "tiny", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    first = doc["chips"][0]
    assert first["name"] == "ISSCC'21 DIMC 22nm" and first["reference"].endswith("9365766")


def test_literature_table_names_chips_instead_of_numbers(capsys) -> None:
    assert main(["literature", "--suite", "tiny", "--preset", "carbonspot2025"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[0] == "chip" and lines[2].startswith("ISSCC'21 DIMC 22nm")
    assert (
        "most performant: CICC'23 DIMC 28nm iMCU; most carbon-efficient: "
        "CA CICC'23 DIMC 28nm iMCU, PA ISSCC'22 DIMC 28nm 1b"
    ) in out
    assert f"carbon_*_g: {CARBON_UNIT}" in out
    refs = lines[lines.index(next(x for x in lines if x.startswith("references"))) + 3 :]
    assert len(refs) == 13 and refs[8].split("  ")[0] == "CICC'23 DIMC 28nm iMCU"
    assert "[9]" in refs[8] and "10.1109/CICC57935.2023.10121221" in refs[8]


def test_user_chip_without_name_is_called_by_its_id(tmp_path, capsys) -> None:
    f = tmp_path / "mine.csv"
    f.write_text("id,node_nm,tops_per_w,tops,tops_per_mm2\nmine,7,50,1.0,2.0\n")
    assert main(["literature", "--no-builtin", "--chips", str(f)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith("mine ") and "references" not in out
