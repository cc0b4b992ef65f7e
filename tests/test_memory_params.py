"""Memory-system and dataflow template parameters: effects in the direction physics says.

Defaults reproduce the paper's templates exactly (tests/test_no_drift.py, test_fidelity.py);
here: more SRAM bandwidth never adds latency, a bigger buffer never lowers area, a higher DRAM
energy per bit never lowers energy, and bad values are one clear error.
"""

from __future__ import annotations

import pytest

from carbonspot.cli import main
from carbonspot.design import DesignPipeline
from carbonspot.hardware.memory import dram_types
from carbonspot.hardware.templates import DATAFLOWS, build_template
from carbonspot.workload import zoo

NETS = [zoo.load_workload(n) for n in ("ds_cnn", "resnet8")]
DESIGNS = [("pdigital_ws", {"dim": 32}), ("pdigital_os", {"dim": 16}), ("aimc", {"dim": 64})]


def _row(template, params, objective="edp", net=0):
    row = DesignPipeline(objective=objective).rows(template, params, [NETS[net]], geo=False)[0]
    assert row["feasible"], row.get("reason")
    return row


@pytest.mark.parametrize(("template", "base"), DESIGNS)
@pytest.mark.parametrize("net", [0, 1])
def test_more_sram_bandwidth_never_adds_latency(template, base, net):
    lat = [
        _row(template, {**base, "sram_bw_bits": bw}, "latency", net)["latency_cycles"]
        for bw in (256, 512, 1024, 4096)
    ]
    assert all(b <= a for a, b in zip(lat, lat[1:], strict=False)), lat


@pytest.mark.parametrize(("template", "base"), DESIGNS)
@pytest.mark.parametrize("net", [0, 1])
def test_higher_dram_energy_per_bit_never_lowers_energy(template, base, net):
    energy = [
        _row(template, {**base, "dram_pj_per_bit": e}, "energy", net)["energy_pj"]
        for e in (1.0, 3.7, 10.0, 30.0)
    ]
    assert all(b >= a for a, b in zip(energy, energy[1:], strict=False)), energy


@pytest.mark.parametrize(("template", "base"), DESIGNS)
def test_bigger_buffers_never_lower_area(template, base):
    def area(**p):
        return _row(template, {**base, **p})["area_mm2"]

    sizes = (65536, 262144, 1048576)
    for key in ("sram_bytes", "l2_bytes"):
        a = [area(**{key: s}) for s in sizes]
        assert a[0] <= a[1] <= a[2], (key, a)
    split = [area(sram_w_bytes=s, sram_act_bytes=65536) for s in sizes]
    assert split[0] <= split[1] <= split[2]
    rf = [area(rf_i_words=n, rf_o_words=n) for n in (1, 4, 16)]
    assert rf[0] < rf[1] < rf[2]


def test_defaults_are_todays_templates():
    for template, base in DESIGNS:
        plain = build_template(template, base, "corrected", 10**6)
        explicit = build_template(
            template,
            {**base, "dram_type": "default", "l2_bytes": 0, "rf_i_words": 1, "rf_o_words": 1},
            "corrected",
            10**6,
        )
        assert plain.memories == explicit.memories


def test_split_sram_and_l2_build_the_hierarchy():
    acc = build_template(
        "pdigital_ws",
        {"dim": 32, "sram_w_bytes": 32768, "sram_act_bytes": 65536, "l2_bytes": 1 << 20},
        "corrected",
        10**7,  # the weights fit nowhere on chip: the DRAM keeps them
    )
    names = [m.name for m in acc.memories]
    assert names[-4:] == ["sram_w", "sram_act", "l2", "dram"]
    ops = {m.name: m.operands for m in acc.memories}
    assert ops["sram_w"] == ("W",) and ops["sram_act"] == ("I", "O")
    assert ops["l2"] == ("I", "W", "O") and "W" in ops["dram"]
    small = build_template("pdigital_ws", {"dim": 32, "l2_bytes": 1 << 20}, "corrected", 500_000)
    assert "W" not in dict((m.name, m.operands) for m in small.memories)["dram"]


def test_dram_type_sets_energy_bandwidth_and_carbon():
    base = _row("pdigital_ws", {"dim": 32}, "energy", 1)
    ddr4 = _row("pdigital_ws", {"dim": 32, "dram_type": "ddr4"}, "energy", 1)
    assert ddr4["energy_pj"] > base["energy_pj"]  # 15 vs 3.7 pJ/bit
    acc = build_template("pdigital_ws", {"dim": 32, "dram_type": "hbm2"}, "corrected")
    dram = acc.memories[-1]
    assert dram.r_energy_pj == pytest.approx(dram_types()["hbm2"].pj_per_bit * dram.r_bw_bits)
    # carbon per GB of the type (ACT: ddr4_10nm 65 g/GB) replaces the preset's lpddr3 201 g/GB
    pipeline = DesignPipeline()
    assert pipeline.carbon_for({"dram_type": "ddr4"}).dram_g_per_gb == 65.0
    assert pipeline.carbon_for({}).dram_g_per_gb == pipeline.carbon_params.dram_g_per_gb
    for kind in dram_types().values():
        assert kind.source  # every value says where it comes from


def test_dataflow_sets_the_spatial_hint():
    from carbonspot.evaluate import default_hint

    for flow, hint in DATAFLOWS.items():
        acc = build_template("pdigital_ws", {"dim": 32, "dataflow": flow})
        assert default_hint(acc) == {d: list(v) for d, v in hint.items()}
    os_row = _row("pdigital_ws", {"dim": 32, "dataflow": "os"})
    assert os_row["latency_cycles"] != _row("pdigital_ws", {"dim": 32})["latency_cycles"]


@pytest.mark.parametrize(
    ("spec", "field", "allowed"),
    [
        ("pdigital_ws:dram_type=ddr9", "dram_type", "one of default, lpddr4, lpddr5, ddr4, hbm2"),
        ("pdigital_ws:dataflow=diagonal", "dataflow", "one of ws, os, is"),
        ("aimc:dataflow=os", "dataflow", "dim"),  # IMC macros have a fixed dataflow
        ("dimc:sram_w_bytes=65536", "sram_act_bytes", "sram_w_bytes and sram_act_bytes together"),
        ("pdigital_ws:sram_bw_bits=4", "sram_bw_bits", "integers 8..1048576"),
        ("pdigital_ws:dram_bw_gbps=-1", "dram_bw_gbps", "a positive number of GB/s"),
    ],
)
def test_bad_values_are_one_line_naming_field_and_allowed(capsys, spec, field, allowed):
    assert main(["evaluate", "-a", spec, "-w", "ae"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f": {field}:" in err and allowed in err, err


def test_custom_dataflow_from_our_hardware_yaml():
    from carbonspot.errors import InputError
    from carbonspot.evaluate import default_hint
    from carbonspot.hardware.readers.yaml import accelerator_from_dict, accelerator_to_dict

    doc = accelerator_to_dict(build_template("pdigital_ws", {"dim": 32}))
    doc["dataflow"] = {"D1": ["K"], "D2": ["C"]}
    acc = accelerator_from_dict(doc, source="mine.yaml")
    assert default_hint(acc) == {"D1": ["K"], "D2": ["C"]}
    assert accelerator_from_dict({**doc, "dataflow": "is"}).hint == tuple(DATAFLOWS["is"].items())
    for bad, field in (
        ({"D9": ["K"]}, "dataflow.D9"),
        ({"D1": ["Q"]}, "dataflow.D1"),
        ("xs", "dataflow"),
    ):
        with pytest.raises(InputError) as err:
            accelerator_from_dict({**doc, "dataflow": bad}, source="mine.yaml")
        assert err.value.field == field and err.value.source == "mine.yaml"
