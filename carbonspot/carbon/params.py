"""Carbon parameters: data tables, presets and user overrides → :class:`CarbonParams`.

Overrides come from a YAML file (a mapping, optionally under a top-level ``carbon:`` key) and
from ``key=value,key=value`` texts (the CLI's ``--carbon`` flags); later sources win. Every key
and every named value is checked; unknown ones raise :class:`InputError` listing what is
allowed. docs/carbon-model.md describes the keys, the tables in ``carbonspot/data/carbon/`` and
how the presets differ. Pure logic: no argparse, no printing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from carbonspot.carbon.model import PA_OVERRUN_RULES, YIELD_MODELS, CarbonParams, NodeTable
from carbonspot.errors import InputError
from carbonspot.paths import data_file
from carbonspot.presets import PRESETS, get_preset
from carbonspot.yaml_file import read_yaml_file

CI_FAB_TABLES = ("act", "carbonspot2025")
GPA_LEVELS = ("95", "97", "99")
CARBON_PRESETS = (*PRESETS, "act")

# Keys a user may set, with a one-line meaning (also the --carbon help text).
CARBON_KEYS: dict[str, str] = {
    "node_nm": "technology node in nm (3..28, interpolated between table nodes)",
    "grid": "use-phase grid intensity: REGION_YEAR (e.g. world_2022, taiwan_2023), a source "
    "(coal, solar, ...) or a number in g/kWh",
    "fab_grid": "grid intensity of the fab (multiplies EPA), same forms as grid",
    "ci_fab_table": "die carbon table: act (EPA/GPA/MPA per node) or carbonspot2025 (hard-coded)",
    "gpa": "ACT gas abatement level 95, 97 (mean of 95 and 99) or 99",
    "yield": "fixed die yield in (0, 1] (with yield_model=fixed)",
    "yield_model": "fixed, poisson, murphy or negative_binomial",
    "defect_density_per_cm2": "defect density D0 for the yield models (defects/cm²)",
    "yield_alpha": "negative-binomial clustering parameter alpha",
    "lifetime_years": "chip lifetime in years",
    "package_g": "packaging carbon per chip in g",
    "dram": "DRAM type (see memory_cps.csv) or g/GB number",
    "dram_pa": "DRAM g/GB in PA if different from CA (type, number or 'same')",
    "dram_gb": "DRAM capacity charged, GB",
    "dram_mb": "DRAM capacity charged, MB (= dram_gb·1024)",
    "ssd": "flash/SSD type or g/GB number",
    "ssd_gb": "flash/SSD capacity charged, GB",
    "memory_yield": "divisor on DRAM/SSD g/GB (ACT divides by the fab yield 0.875)",
    "pa_overrun": "PA rule when latency > period: more_chips or deadline",
}

_BASE: dict[str, Any] = {
    "node_nm": 28.0,
    "grid": "world_2022",
    "fab_grid": "world_2022",
    "ci_fab_table": "act",
    "gpa": "99",
    "yield": 0.95,
    "yield_model": "fixed",
    "defect_density_per_cm2": 0.0,
    "yield_alpha": 10.0,
    "lifetime_years": 3.0,
    "package_g": 150.0,
    "dram": "lpddr3_30nm",
    "dram_pa": "same",
    "dram_gb": 1 / 1024,
    "ssd": "nand_10nm",
    "ssd_gb": 0.0,
    "memory_yield": 1.0,
    "pa_overrun": "deadline",
}
# ACT's own defaults (peers-and-carbon-data.md §1.2-§1.5): Taiwan fab (2022 table), GPA 97,
# yield 0.875 also on memory, DDR4 10 nm DRAM (Fab_DRAM default), v2 get_carbon: USA use
# phase, 2-year lifetime.
_ACT: dict[str, Any] = {
    **_BASE,
    "grid": "usa_2022",
    "fab_grid": "taiwan_2022",
    "gpa": "97",
    "yield": 0.875,
    "lifetime_years": 2.0,
    "dram": "ddr4_10nm",
    "memory_yield": 0.875,
}


def preset_defaults(preset_name: str | None) -> dict[str, Any]:
    """The key=value settings a carbon preset starts from (before user overrides)."""
    if preset_name == "act":
        return dict(_ACT)
    preset = get_preset(preset_name) if preset_name in PRESETS or preset_name is None else None
    if preset is None:
        raise InputError(
            f"unknown preset {preset_name!r}", field="--preset", allowed=CARBON_PRESETS
        )
    d = dict(_BASE)
    if preset.carbon_ci_fab_table_2025:
        d["ci_fab_table"] = "carbonspot2025"
    if preset.carbon_dram_split_ca_pa:
        d["dram"], d["dram_pa"] = "carbonspot2025_ca", "carbonspot2025_pa"
    if preset.carbon_pa_more_chips:
        d["pa_overrun"] = "more_chips"
    return d


# --------------------------------------------------------------------------------------------
# data tables


def _read_csv(name: str) -> list[dict[str, str]]:
    with data_file("carbon", name).open(newline="") as f:
        return list(csv.DictReader(f))


@cache
def grid_table() -> dict[str, float]:
    """Grid intensity g/kWh by key (``world_2022``, ``taiwan_2023``, ``coal``, ...)."""
    return {r["key"]: float(r["g_per_kwh"]) for r in _read_csv("grid_intensity.csv")}


@cache
def memory_table(kind: str) -> dict[str, float]:
    """Memory carbon g/GB by type for ``kind`` ``dram`` or ``ssd``."""
    return {
        r["type"]: float(r["g_per_gb"]) for r in _read_csv("memory_cps.csv") if r["kind"] == kind
    }


@cache
def node_table(name: str, gpa: str = "99") -> NodeTable:
    """Fab table ``act`` (with the given GPA abatement level) or ``carbonspot2025``."""
    if name == "act":
        rows = sorted(_read_csv("logic_nodes_act.csv"), key=lambda r: float(r["node_nm"]))
        g95 = [float(r["gpa95_g_per_cm2"]) for r in rows]
        g99 = [float(r["gpa99_g_per_cm2"]) for r in rows]
        gpas = {"95": g95, "99": g99, "97": [(a + b) / 2 for a, b in zip(g95, g99, strict=True)]}
        return NodeTable(
            name=f"act (GPA {gpa})",
            nodes_nm=tuple(float(r["node_nm"]) for r in rows),
            epa_kwh_per_cm2=tuple(float(r["epa_kwh_per_cm2"]) for r in rows),
            gpa_g_per_cm2=tuple(gpas[gpa]),
            mpa_g_per_cm2=tuple(float(r["mpa_g_per_cm2"]) for r in rows),
            source="carbonspot/data/carbon/logic_nodes_act.csv",
        )
    if name == "carbonspot2025":
        rows = sorted(_read_csv("ci_fab_carbonspot2025.csv"), key=lambda r: float(r["node_nm"]))
        nodes = [float(r["node_nm"]) for r in rows]
        # GPA of the original's own EPA/GPA table, interpolated where it has none (22/16/12 nm);
        # only used to split the hard-coded total into EPA/GPA/MPA parts.
        known = [
            (n, float(r["gpa_g_per_cm2"]))
            for n, r in zip(nodes, rows, strict=True)
            if r["gpa_g_per_cm2"]
        ]
        kn, kg = zip(*known, strict=True)
        gpa_all = np.interp(nodes, kn, kg)
        return NodeTable(
            name="carbonspot2025",
            nodes_nm=tuple(nodes),
            epa_kwh_per_cm2=tuple(float("nan") for _ in nodes),
            gpa_g_per_cm2=tuple(float(g) for g in gpa_all),
            mpa_g_per_cm2=tuple(float(r["mpa_g_per_cm2"]) for r in rows),
            ci_fab_g_per_mm2=tuple(float(r["ci_fab_g_per_mm2"]) for r in rows),
            source="carbonspot/data/carbon/ci_fab_carbonspot2025.csv",
        )
    raise InputError(f"unknown CI_fab table {name!r}", field="ci_fab_table", allowed=CI_FAB_TABLES)


# --------------------------------------------------------------------------------------------
# parsing user overrides


def parse_carbon_overrides(
    texts: str | Iterable[str] | None, source: str = "--carbon"
) -> dict[str, str]:
    """``"a=1,b=x"`` strings (possibly several) → ``{"a": "1", "b": "x"}``; keys checked."""
    if texts is None:
        return {}
    if isinstance(texts, str):
        texts = [texts]
    out: dict[str, str] = {}
    for text in texts:
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise InputError(
                    f"expected key=value, got {item!r}", source=source, allowed=CARBON_KEYS
                )
            _check_key(key, source)
            out[key] = value
    return out


def read_carbon_file(path: str | Path) -> dict[str, Any]:
    """Overrides from a YAML file: a mapping of carbon keys (optionally under ``carbon:``)."""
    p = Path(path)
    data = read_yaml_file(p)
    if isinstance(data, Mapping) and set(data) == {"carbon"}:
        data = data["carbon"]
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InputError(
            "expected a mapping of carbon parameters", source=str(p), allowed=CARBON_KEYS
        )
    for key in data:
        _check_key(str(key), str(p))
    return {str(k): v for k, v in data.items()}


def _check_key(key: str, source: str | None) -> None:
    if key not in CARBON_KEYS:
        raise InputError(f"unknown carbon parameter {key!r}", source=source, allowed=CARBON_KEYS)


def _number(key: str, value: Any, source: str | None, lo: float, hi: float, lo_open: bool) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number", source=source, field=key) from None
    ok = (x > lo if lo_open else x >= lo) and x <= hi
    if not ok:
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
        raise InputError(f"{x:g} out of range", source=source, field=key, allowed=rng)
    return x


def _choice(key: str, value: Any, options: Iterable[str], source: str | None) -> str:
    v = str(value).strip().lower()
    options = tuple(options)
    if v not in options:
        raise InputError(f"unknown value {value!r}", source=source, field=key, allowed=options)
    return v


def _table_or_number(
    key: str, value: Any, table: Mapping[str, float], source: str | None
) -> tuple[float, str]:
    """A named table entry or a non-negative number; returns (value, name)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        name = _choice(key, value, table, source)
        return table[name], name
    x = _number(key, x, source, 0.0, float("inf"), lo_open=False)
    return x, f"{x:g}"


def get_carbon_params(
    preset_name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
) -> CarbonParams:
    """Resolve a preset (``corrected``, ``carbonspot2025`` or ``act``) plus overrides."""
    overrides = dict(overrides or {})
    for key in overrides:
        _check_key(key, source)
    if "dram_gb" in overrides and "dram_mb" in overrides:
        raise InputError("give dram_gb or dram_mb, not both", source=source, field="dram_mb")
    name = preset_name or "corrected"
    s = {**preset_defaults(name), **overrides}
    if "dram_mb" in s:
        s["dram_gb"] = _number("dram_mb", s.pop("dram_mb"), source, 0, float("inf"), False) / 1024

    table_name = _choice("ci_fab_table", s["ci_fab_table"], CI_FAB_TABLES, source)
    gpa = _choice("gpa", s["gpa"], GPA_LEVELS, source)
    if table_name == "carbonspot2025":
        fixed = [k for k in ("fab_grid", "gpa") if k in overrides]
        if fixed:
            raise InputError(
                f"{', '.join(fixed)} cannot change the hard-coded carbonspot2025 CI_fab table "
                "(world 301 g/kWh, GPA 99); add ci_fab_table=act",
                source=source,
                field=fixed[0],
            )
    yield_model = _choice("yield_model", s["yield_model"], YIELD_MODELS, source)
    if yield_model == "fixed" and "defect_density_per_cm2" in overrides:
        raise InputError(
            "defect_density_per_cm2 needs a yield model",
            source=source,
            field="yield_model",
            allowed=YIELD_MODELS[1:],
        )
    if yield_model != "fixed" and "yield" in overrides:
        raise InputError(
            f"a fixed yield conflicts with yield_model={yield_model}", source=source, field="yield"
        )
    grid, grid_name = _table_or_number("grid", s["grid"], grid_table(), source)
    fab, fab_name = _table_or_number("fab_grid", s["fab_grid"], grid_table(), source)
    dram, dram_name = _table_or_number("dram", s["dram"], memory_table("dram"), source)
    if str(s["dram_pa"]).strip().lower() == "same":
        dram_pa, dram_pa_name = None, None
    else:
        dram_pa, dram_pa_name = _table_or_number(
            "dram_pa", s["dram_pa"], {**memory_table("dram"), "same": 0.0}, source
        )
    ssd, ssd_name = _table_or_number("ssd", s["ssd"], memory_table("ssd"), source)
    inf = float("inf")
    return CarbonParams(
        preset=name,
        node_table=node_table(table_name, gpa),
        node_nm=_number("node_nm", s["node_nm"], source, 0, inf, True),
        grid_g_per_kwh=grid,
        grid_name=grid_name,
        fab_grid_g_per_kwh=301.0 if table_name == "carbonspot2025" else fab,
        fab_grid_name="world_2022" if table_name == "carbonspot2025" else fab_name,
        gpa_abatement="99" if table_name == "carbonspot2025" else gpa,
        yield_model=yield_model,
        yield_fixed=_number("yield", s["yield"], source, 0, 1, True),
        defect_density_per_cm2=_number(
            "defect_density_per_cm2", s["defect_density_per_cm2"], source, 0, inf, False
        ),
        yield_alpha=_number("yield_alpha", s["yield_alpha"], source, 0, inf, True),
        lifetime_years=_number("lifetime_years", s["lifetime_years"], source, 0, inf, True),
        package_g=_number("package_g", s["package_g"], source, 0, inf, False),
        dram_type=dram_name,
        dram_gb=_number("dram_gb", s["dram_gb"], source, 0, inf, False),
        dram_g_per_gb=dram,
        dram_pa_type=dram_pa_name,
        dram_g_per_gb_pa=dram_pa,
        ssd_type=ssd_name,
        ssd_gb=_number("ssd_gb", s["ssd_gb"], source, 0, inf, False),
        ssd_g_per_gb=ssd,
        memory_yield=_number("memory_yield", s["memory_yield"], source, 0, 1, True),
        pa_overrun=_choice("pa_overrun", s["pa_overrun"], PA_OVERRUN_RULES, source),
        literature_ignores_overrun=(
            name in PRESETS and get_preset(name).carbon_literature_ignores_overrun
        ),
    )
