"""Carbon parameters: presets, overrides from files and ``--carbon`` strings, validation."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from carbonspot.carbon.params import (
    CARBON_KEYS,
    get_carbon_params,
    grid_table,
    memory_table,
    parse_carbon_overrides,
    read_carbon_file,
)
from carbonspot.cli._carbon_flags import add_carbon_arguments, carbon_flags, carbon_params_from_args
from carbonspot.errors import InputError


def test_carbonspot2025_preset_is_the_paper():
    p = get_carbon_params("carbonspot2025")
    assert p.grid_g_per_kwh == 301 and p.fab_grid_g_per_kwh == 301
    assert p.yield_fixed == 0.95 and p.yield_model == "fixed"
    assert p.lifetime_years == 3 and p.package_g == 150
    assert p.dram_g_per_gb == pytest.approx(230 * (28 / 30) ** 2)  # 200.36, expr.py:1965
    assert p.dram_pa_g_per_gb == pytest.approx(200 * (28 / 30) ** 2)  # 174.22, expr.py:2012
    assert p.pa_overrun == "more_chips" and p.literature_ignores_overrun
    assert p.dram_gb == pytest.approx(1 / 1024)


def test_corrected_and_act_presets():
    c = get_carbon_params()  # default = corrected
    assert c.preset == "corrected"
    assert c.dram_pa_g_per_gb == c.dram_g_per_gb == 201  # lpddr3_30nm in both scenarios
    assert c.pa_overrun == "deadline" and not c.literature_ignores_overrun
    a = get_carbon_params("act")
    assert (a.grid_g_per_kwh, a.fab_grid_g_per_kwh) == (380, 583)  # USA use, Taiwan fab (2022)
    assert a.yield_fixed == 0.875 and a.memory_yield == 0.875 and a.gpa_abatement == "97"
    assert a.dram_g_per_gb == 65 and a.lifetime_years == 2


def test_unknown_preset():
    with pytest.raises(InputError) as exc:
        get_carbon_params("nope")
    assert "act" in str(exc.value) and "carbonspot2025" in str(exc.value)


def test_cli_string_example():
    o = parse_carbon_overrides(
        "node_nm=7,grid=taiwan_2023,yield_model=murphy,defect_density_per_cm2=0.1"
    )
    p = get_carbon_params("corrected", o)
    assert p.node_nm == 7 and p.grid_g_per_kwh == 642 and p.grid_name == "taiwan_2023"
    assert p.yield_model == "murphy" and p.defect_density_per_cm2 == 0.1


def test_numbers_and_repeated_flags():
    o = parse_carbon_overrides(["grid=123.5", "fab_grid=coal, dram=48,dram_mb=4"])
    p = get_carbon_params(None, o)
    assert p.grid_g_per_kwh == 123.5 and p.fab_grid_g_per_kwh == 820
    assert p.dram_g_per_gb == 48 and p.dram_gb == pytest.approx(4 / 1024)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("colour=red", "unknown carbon parameter"),
        ("grid=mars_2022", "world_2022"),
        ("yield_model=gauss", "murphy"),
        ("pa_overrun=maybe", "more_chips"),
        ("node_nm=abc", "not a number"),
        ("yield=1.5", "out of range"),
        ("lifetime_years=0", "out of range"),
        ("dram=sdram", "lpddr4"),
        ("grid", "key=value"),
    ],
)
def test_bad_values_are_input_errors_listing_allowed(text, needle):
    with pytest.raises(InputError) as exc:
        get_carbon_params("corrected", parse_carbon_overrides(text))
    assert needle in str(exc.value)


def test_conflicting_settings_are_rejected():
    with pytest.raises(InputError, match="needs a yield model"):
        get_carbon_params("corrected", {"defect_density_per_cm2": 0.1})
    with pytest.raises(InputError, match="conflicts"):
        get_carbon_params("corrected", {"yield_model": "poisson", "yield": 0.9})
    with pytest.raises(InputError, match="ci_fab_table=act"):
        get_carbon_params("carbonspot2025", {"fab_grid": "taiwan_2022"})
    with pytest.raises(InputError, match="not both"):
        get_carbon_params("corrected", {"dram_gb": 1, "dram_mb": 1})


def test_yaml_file(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("carbon:\n  node_nm: 5\n  grid: europe_2023\n  ci_fab_table: act\n  gpa: 95\n")
    o = read_carbon_file(f)
    p = get_carbon_params("carbonspot2025", o, source=str(f))
    assert p.node_nm == 5 and p.grid_g_per_kwh == 300 and p.gpa_abatement == "95"
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: 5\n")
    with pytest.raises(InputError) as exc:
        read_carbon_file(bad)
    assert str(bad) in str(exc.value) and "node_nm" in str(exc.value)
    with pytest.raises(InputError, match="cannot read"):
        read_carbon_file(tmp_path / "missing.yaml")


def test_argparse_glue(tmp_path):
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset")
    add_carbon_arguments(parser)
    f = tmp_path / "c.yaml"
    f.write_text("lifetime_years: 5\ngrid: 100\n")
    args = parser.parse_args(
        [
            "--preset",
            "act",
            "--carbon-file",
            str(f),
            "--carbon",
            "grid=200",
            "--carbon",
            "package_g=0",
        ]
    )
    p = carbon_params_from_args(args)
    assert p.preset == "act" and p.lifetime_years == 5
    assert p.grid_g_per_kwh == 200 and p.package_g == 0  # the command line wins over the file
    flags = carbon_flags(args)
    assert flags.source == f"{f} + --carbon" and flags.overrides["grid"] == "200"


def test_carbon_params_module_has_no_cli_code():
    import ast

    import carbonspot.carbon.params as params

    tree = ast.parse(Path(params.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "argparse" not in imported
    assert not hasattr(params, "add_carbon_arguments")


def test_tables_have_sources_and_expected_entries():
    g = grid_table()
    assert g["world_2022"] == 301 and g["world_2023"] == 481 and g["taiwan_2022"] == 583
    assert memory_table("dram")["lpddr3_30nm"] == 201
    assert memory_table("ssd")["nand_10nm"] == 10
    assert "grid" in CARBON_KEYS and "pa_overrun" in CARBON_KEYS


def test_every_data_row_names_its_source():
    import csv

    from carbonspot.paths import data_file

    files = sorted(data_file("carbon").glob("*.csv")) + [data_file("literature_chips.csv")]
    assert len(files) >= 5
    for f in files:
        with f.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and all(r["source"].strip() for r in rows), f


def test_describe_records_resolved_values():
    d = get_carbon_params("act").describe()
    assert d["preset"] == "act" and d["fab_grid_name"] == "taiwan_2022"
    assert d["die_g_per_mm2_before_yield"] == pytest.approx((583 * 0.9 + 137.5 + 500) / 100)
    assert isinstance(d["node_table"], str)


def test_carbon_preset_flag_overrides_the_model_preset():
    # evaluate --preset corrected --carbon-preset act: ACT's carbon defaults, corrected models.
    parser = argparse.ArgumentParser()
    add_carbon_arguments(parser)
    act = carbon_params_from_args(parser.parse_args(["--carbon-preset", "act"]), "corrected")
    assert act == get_carbon_params("act")
    assert act != get_carbon_params("corrected")
    with pytest.raises(InputError, match="--carbon-preset"):
        carbon_params_from_args(parser.parse_args(["--carbon-preset", "nope"]), "corrected")
