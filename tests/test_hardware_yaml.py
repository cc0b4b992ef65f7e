"""Accelerator YAML: our schema (round trip, validation) and ZigZag v3 examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.hardware import figures as cost_hw
from carbonspot.hardware.readers import load_accelerator
from carbonspot.hardware.readers.yaml import accelerator_to_dict, accelerator_to_yaml

ZZ = Path(__file__).resolve().parent / "data" / "zigzag_hw"
ZZ_EXAMPLES = [
    "tpu_like",
    "edge_tpu_like",
    "ascend_like",
    "meta_prototype",
    "tesla_npu_like",
    "dimc",
    "aimc",
]


@pytest.mark.parametrize("name", ZZ_EXAMPLES)
def test_zigzag_examples_load(name: str) -> None:
    acc = load_accelerator(str(ZZ / f"{name}.yaml"))
    assert {op for m in acc.memories for op in m.operands} == {"I", "W", "O"}
    # zigzag-model.md §10: 1024 MACs for the normalised designs, 4096 for the Tesla NPU
    macs = cost_hw.macs_per_cycle(acc)
    assert macs == {"tesla_npu_like": 4096, "dimc": 2048, "aimc": 4096}.get(name, 1024)


def test_zigzag_imc_examples_match_zigzag() -> None:
    # zigzag-model.md §8.4 reference values (area mm², tclk ns)
    for name, area, tclk in (("aimc", 2.2878123, 14.07244), ("dimc", 0.8018113, 3.75708)):
        acc = load_accelerator(str(ZZ / f"{name}.yaml"))
        got_area, bd = cost_hw.accelerator_area_mm2(acc)
        assert got_area == pytest.approx(area, rel=1e-6)
        assert bd["array:cells"] == 0.0
        assert cost_hw.accelerator_tclk_ns(acc)[0] == pytest.approx(tclk, rel=1e-6)


def test_zigzag_replicas_and_served_dims() -> None:
    acc = load_accelerator(str(ZZ / "edge_tpu_like.yaml"))
    rf_1b = next(m for m in acc.memories if m.name == "rf_1B")
    assert rf_1b.replicas(acc.dim_sizes) == 64  # served D3, D4 -> replicated over D1 x D2
    tpu = load_accelerator(str(ZZ / "tpu_like.yaml"))
    sram = next(m for m in tpu.memories if m.name == "sram_2MB")
    assert (sram.r_bw_bits, sram.r_min_bits) == (2048, 64)


@pytest.mark.parametrize(
    "spec", ["dimc:dim=32,sram_bytes=8192", "pdigital_ws:d1=32,d2=64", "aimc:dim=64,macros=2"]
)
@pytest.mark.parametrize("preset", ["corrected", "carbonspot2025"])
def test_our_yaml_round_trip(tmp_path: Path, spec: str, preset: str) -> None:
    acc = load_accelerator(spec, preset)
    path = tmp_path / "acc.yaml"
    path.write_text(accelerator_to_yaml(acc))
    assert load_accelerator(str(path), preset) == acc


def _bad_yaml(tmp_path: Path, mutate) -> Path:
    data = accelerator_to_dict(load_accelerator("dimc:dim=32,sram_bytes=8192"))
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _drop_w(d):
    for m in d["memories"]:
        m["operands"] = [o for o in m["operands"] if o != "W"]
        for p in m["ports"]:
            p["allocation"] = [a for a in p["allocation"] if not a.startswith("W")]
        m["ports"] = [p for p in m["ports"] if p["allocation"]]
    d["memories"] = [m for m in d["memories"] if m["operands"]]


@pytest.mark.parametrize(
    ("mutate", "field", "allowed"),
    [
        (_drop_w, "memories", "I, W, O"),
        (lambda d: d["memories"][1].update(operands=["X"]), "operands", "I, W, O"),
        (lambda d: d["array"]["dims"].update(D2=48), "array.dims.D2", "powers of two"),
        (lambda d: d["memories"][3].update(r_energy_pj=-1.0), "r_energy_pj", ">= 0"),
        (lambda d: d["array"].update(type="tpu"), "array.type", "digital"),
    ],
)
def test_our_yaml_errors(tmp_path: Path, mutate, field: str, allowed: str) -> None:
    path = _bad_yaml(tmp_path, mutate)
    with pytest.raises(InputError) as exc:
        load_accelerator(str(path))
    assert field in exc.value.field and allowed in exc.value.allowed


def test_zigzag_yaml_errors(tmp_path: Path) -> None:
    data = yaml.safe_load((ZZ / "dimc.yaml").read_text())
    data["memories"]["sram_256KB"]["r_cost"] = -3
    path = tmp_path / "zz.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as exc:
        load_accelerator(str(path))
    assert exc.value.field == "memories.sram_256KB.r_cost"
    data["memories"]["sram_256KB"]["r_cost"] = 1
    data["operational_array"]["input_precision"] = [6, 8]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="power of two"):
        load_accelerator(str(path))


def test_cli_bad_yaml_exit_2(tmp_path: Path, capsys) -> None:
    path = _bad_yaml(tmp_path, lambda d: d["memories"][1].update(operands=["Q"]))
    assert main(["hardware", "show", str(path)]) == 2
    err = capsys.readouterr().err
    assert "operands" in err and "allowed: I, W, O" in err and "Traceback" not in err


def test_cli_export(tmp_path: Path, capsys) -> None:
    out = tmp_path / "x.yaml"
    assert main(["hardware", "export", "aimc:dim=32", "-o", str(out)]) == 0
    assert load_accelerator(str(out)) == load_accelerator("aimc:dim=32")


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (_drop_w, "operand W has no memory"),
        (lambda d: d["memories"][1].update(operands=["X"]), "unknown operand"),
        (lambda d: d["array"]["dims"].update(D2=48), "not a power of two"),
        (lambda d: d["memories"][3].update(w_energy_pj=-2), "negative"),
    ],
)
def test_cli_invalid_hardware_one_line(tmp_path: Path, capsys, mutate, needle: str) -> None:
    path = _bad_yaml(tmp_path, mutate)
    assert main(["hardware", "show", str(path), "--format", "json"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == ""
    assert len(err.splitlines()) == 1 and needle in err and "(allowed: " in err


def test_zigzag_early_v3_port_format() -> None:
    # per-operand {direction: port} mappings + r_bw/w_bw/min_*_granularity (early v3 files)
    old = load_accelerator(str(ZZ / "aimc_early_v3.yaml"))
    new = load_accelerator(str(ZZ / "aimc.yaml"))
    assert cost_hw.accelerator_area_mm2(old)[0] == pytest.approx(2.2878123, rel=1e-6)
    assert cost_hw.accelerator_tclk_ns(old)[0] == pytest.approx(14.07244, rel=1e-6)
    sram = next(m for m in old.memories if m.name == "sram_256KB")
    assert (sram.r_bw_bits, sram.r_min_bits, sram.w_min_bits) == (512, 64, 64)
    assert sram.port_for("O", "th").name == "r_port_1"
    assert sram.port_for("O", "fl").name == "w_port_1"
    assert [m.name for m in old.memories] == [m.name for m in new.memories]
    dram = old.memories[-1]
    assert len(dram.ports) == 1 and dram.ports[0].kind == "rw"
    assert set(dram.ports[0].allocation) >= {("W", "tl"), ("O", "fl"), ("I", "fh")}
