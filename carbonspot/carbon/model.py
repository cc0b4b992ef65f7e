"""Carbon footprint per inference: operational + amortised embodied (ACT), CA and PA scenarios.

Pure functions over numpy arrays (everything broadcasts), so one call evaluates many designs.
Equations: docs/carbon-model.md; sources: carbonspot-model.md §1-§2 (the original CarbonSpot)
and peers-and-carbon-data.md §1 (ACT, Gupta et al. ISCA 2022). Data tables are loaded by
``carbonspot.carbon.params`` and handed in through :class:`CarbonParams`; nothing here reads
files.

Units: energy pJ, time ns, area mm², carbon g CO2-eq, grid intensity g/kWh, EPA kWh/cm²,
GPA/MPA g/cm², memory carbon g/GB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from carbonspot.errors import InputError

PJ_PER_KWH = 3.6e18
NS_PER_YEAR = 365 * 24 * 3600 * 1e9  # 3.1536e16 ns, as the original (expr.py:1951, :260)
YIELD_MODELS = ("fixed", "poisson", "murphy", "negative_binomial")
PA_OVERRUN_RULES = ("more_chips", "deadline")
# DRAM capacity charged by the original per suite (carbonspot-model.md §1, expr.py:2635,2641)
ORIGINAL_SUITE_DRAM_GB = {"tiny": 1 / 1024, "mobile": 25 / 1024}


@dataclass(frozen=True)
class NodeTable:
    """Fab data per technology node, ascending in ``nodes_nm``.

    ``epa``/``gpa``/``mpa`` are per node (kWh/cm², g/cm², g/cm²). If ``ci_fab_g_per_mm2`` is
    given, it is the total die carbon per mm² (before yield) of a hard-coded table such as the
    original's; the EPA part is then whatever the total leaves after GPA and MPA.
    """

    name: str
    nodes_nm: tuple[float, ...]
    epa_kwh_per_cm2: tuple[float, ...]
    gpa_g_per_cm2: tuple[float, ...]
    mpa_g_per_cm2: tuple[float, ...]
    ci_fab_g_per_mm2: tuple[float, ...] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        n = len(self.nodes_nm)
        lengths = {len(self.epa_kwh_per_cm2), len(self.gpa_g_per_cm2), len(self.mpa_g_per_cm2)}
        if self.ci_fab_g_per_mm2 is not None:
            lengths.add(len(self.ci_fab_g_per_mm2))
        if n < 2 or lengths != {n} or list(self.nodes_nm) != sorted(self.nodes_nm):
            raise ValueError(f"node table {self.name!r}: needs >= 2 ascending nodes, equal lengths")


@dataclass(frozen=True)
class CarbonParams:
    """Every number the carbon model uses, resolved (no table look-ups left).

    Build it with ``carbonspot.carbon.params.get_carbon_params(preset, overrides)``; the
    string fields record where each number came from.
    """

    preset: str
    node_table: NodeTable
    node_nm: float = 28.0
    grid_g_per_kwh: float = 301.0  # use phase
    grid_name: str = "world_2022"
    fab_grid_g_per_kwh: float = 301.0  # electricity of the fab (multiplies EPA)
    fab_grid_name: str = "world_2022"
    gpa_abatement: str = "99"
    yield_model: str = "fixed"
    yield_fixed: float = 0.95
    defect_density_per_cm2: float = 0.0
    yield_alpha: float = 10.0  # negative-binomial clustering parameter
    lifetime_years: float = 3.0
    package_g: float = 150.0  # per chip (ACT Kr)
    dram_type: str = "lpddr3_30nm"
    dram_gb: float = 1 / 1024
    dram_g_per_gb: float = 201.0  # CA, and PA unless dram_g_per_gb_pa is set
    dram_pa_type: str | None = None
    dram_g_per_gb_pa: float | None = None  # only to reproduce the original's PA constant
    ssd_type: str = "nand_10nm"
    ssd_gb: float = 0.0
    ssd_g_per_gb: float = 10.0
    memory_yield: float = 1.0  # ACT divides DRAM/SSD g/GB by the fab yield (0.875)
    pa_overrun: str = "deadline"
    literature_ignores_overrun: bool = False

    def __post_init__(self) -> None:
        if self.yield_model not in YIELD_MODELS:
            raise InputError(
                f"unknown yield model {self.yield_model!r}",
                field="yield_model",
                allowed=YIELD_MODELS,
            )
        if self.pa_overrun not in PA_OVERRUN_RULES:
            raise InputError(
                f"unknown PA overrun rule {self.pa_overrun!r}",
                field="pa_overrun",
                allowed=PA_OVERRUN_RULES,
            )

    @property
    def dram_pa_g_per_gb(self) -> float:
        """DRAM g/GB charged in PA (equal to CA unless reproducing the original)."""
        return self.dram_g_per_gb if self.dram_g_per_gb_pa is None else self.dram_g_per_gb_pa

    def describe(self) -> dict[str, Any]:
        """Flat, JSON-friendly record of the parameters (to store next to results)."""
        d = asdict(self)
        table = d.pop("node_table")
        d["node_table"] = table["name"]
        d["die_g_per_mm2_before_yield"] = float(np.sum(die_g_per_mm2_parts(self.node_nm, self)))
        return d


# --------------------------------------------------------------------------------------------
# building blocks


def operational_g(energy_pj: np.ndarray | float, grid_g_per_kwh: float | np.ndarray) -> np.ndarray:
    """Operational carbon: energy × grid intensity (1 kWh = 3.6e18 pJ)."""
    return np.asarray(energy_pj, dtype=float) * (np.asarray(grid_g_per_kwh) / PJ_PER_KWH)


def die_yield(
    area_mm2: np.ndarray | float,
    model: str = "fixed",
    *,
    yield_fixed: float = 1.0,
    defect_density_per_cm2: float = 0.0,
    alpha: float = 10.0,
) -> np.ndarray:
    """Die yield in (0, 1]; every defect-density model gives 1 at zero defect density.

    poisson: exp(-A·D0); murphy: ((1 - exp(-A·D0)) / (A·D0))²;
    negative_binomial: (1 + A·D0/alpha)^-alpha (ECO-CHIP, 3D-Carbon; peers-and-carbon-data §1.4).
    A in cm², D0 in defects/cm².
    """
    area = np.asarray(area_mm2, dtype=float)
    if model == "fixed":
        return np.broadcast_to(np.asarray(float(yield_fixed)), area.shape).copy()
    ad = area / 100.0 * float(defect_density_per_cm2)  # mm² → cm²
    if model == "poisson":
        return np.exp(-ad)
    if model == "murphy":
        safe = np.where(ad > 0, ad, 1.0)
        return np.where(ad > 0, (-np.expm1(-safe) / safe) ** 2, 1.0)
    if model == "negative_binomial":
        return (1.0 + ad / float(alpha)) ** (-float(alpha))
    raise InputError(f"unknown yield model {model!r}", field="yield_model", allowed=YIELD_MODELS)


def params_yield(area_mm2: np.ndarray | float, params: CarbonParams) -> np.ndarray:
    """Die yield for ``params`` (fixed value or defect-density model of the die area)."""
    return die_yield(
        area_mm2,
        params.yield_model,
        yield_fixed=params.yield_fixed,
        defect_density_per_cm2=params.defect_density_per_cm2,
        alpha=params.yield_alpha,
    )


def die_g_per_mm2_parts(
    node_nm: np.ndarray | float, params: CarbonParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(EPA, GPA, MPA) parts of the die carbon per mm², before yield, at ``node_nm``.

    EPA part = fab grid × EPA, GPA and MPA as tabulated (ACT: CPA = CI_fab·EPA + GPA + MPA per
    cm², /100 for mm²). Nodes between table entries are interpolated linearly in nm (as the
    original did for 22/16/12 nm); nodes outside the table raise InputError.
    """
    t = params.node_table
    node = np.asarray(node_nm, dtype=float)
    lo, hi = t.nodes_nm[0], t.nodes_nm[-1]
    if np.any((node < lo) | (node > hi)) or np.any(~np.isfinite(node)):
        bad = sorted({float(n) for n in np.atleast_1d(node) if not lo <= n <= hi})
        raise InputError(
            f"technology node {bad} nm outside the {t.name} table",
            field="node_nm",
            allowed=f"{lo:g} to {hi:g} nm (table nodes {', '.join(f'{n:g}' for n in t.nodes_nm)})",
        )
    gpa = np.interp(node, t.nodes_nm, t.gpa_g_per_cm2) / 100.0
    mpa = np.interp(node, t.nodes_nm, t.mpa_g_per_cm2) / 100.0
    if t.ci_fab_g_per_mm2 is not None:
        epa = np.interp(node, t.nodes_nm, t.ci_fab_g_per_mm2) - gpa - mpa
    else:
        epa = params.fab_grid_g_per_kwh * np.interp(node, t.nodes_nm, t.epa_kwh_per_cm2) / 100.0
    return epa, gpa, mpa


def lifetime_ns(params: CarbonParams) -> float:
    """Chip lifetime in ns (365-day years)."""
    return params.lifetime_years * NS_PER_YEAR


# --------------------------------------------------------------------------------------------
# entry point


def carbon_per_inference(
    energy_pj: np.ndarray | float,
    latency_ns: np.ndarray | float,
    area_mm2: np.ndarray | float,
    period_ns: np.ndarray | float,
    params: CarbonParams,
    *,
    node_nm: np.ndarray | float | None = None,
    ops: np.ndarray | float | None = None,
    include_package: bool = True,
    include_memory: bool = True,
) -> dict[str, np.ndarray]:
    """Carbon per inference in the CA and PA scenarios, with the breakdown (all arrays).

    CA (continuous-active): the task is charged embodied × latency / lifetime.
    PA (periodically-active): embodied × period / lifetime; if latency > period, the
    ``more_chips`` rule multiplies by latency/period (the original's rule), the ``deadline``
    rule keeps one chip and flags the design (``pa_feasible`` False). ``meets_period`` is
    latency ≤ period in both rules (True for a NaN period, whose PA carbon is NaN). Operational carbon is the same in both scenarios.

    ``ops`` (ops per inference) adds ``carbon_ca_g_per_op`` and ``carbon_pa_g_per_op``.
    ``include_package``/``include_memory`` drop the package and DRAM/SSD terms (the literature
    model of the original charges the die only).
    """
    energy = np.asarray(energy_pj, dtype=float)
    lat = np.asarray(latency_ns, dtype=float)
    area = np.asarray(area_mm2, dtype=float)
    period = np.asarray(period_ns, dtype=float)
    node = params.node_nm if node_nm is None else node_nm

    op = operational_g(energy, params.grid_g_per_kwh)
    y = params_yield(area, params)
    epa, gpa, mpa = die_g_per_mm2_parts(node, params)
    die_parts = {"epa": area * epa / y, "gpa": area * gpa / y, "mpa": area * mpa / y}  # g/chip
    package = params.package_g if include_package else 0.0
    mem_scale = (1.0 if include_memory else 0.0) / params.memory_yield
    dram_ca = params.dram_gb * params.dram_g_per_gb * mem_scale
    dram_pa = params.dram_gb * params.dram_pa_g_per_gb * mem_scale
    ssd = params.ssd_gb * params.ssd_g_per_gb * mem_scale

    life = lifetime_ns(params)
    meets = ~(lat > period)  # a NaN period (none given) sets no deadline; PA carbon is NaN
    overrun = np.where(meets, 1.0, lat / period)  # chips needed to keep up with the period
    pa_chips = overrun if params.pa_overrun == "more_chips" else np.ones_like(overrun)
    share = {"ca": lat / life, "pa": period * pa_chips / life}  # carbonspot-model.md §2.2
    dram = {"ca": dram_ca, "pa": dram_pa}

    out: dict[str, np.ndarray] = {}
    for sc in ("ca", "pa"):
        s = share[sc]
        parts = {
            "operational": op,
            "die_epa": die_parts["epa"] * s,
            "die_gpa": die_parts["gpa"] * s,
            "die_mpa": die_parts["mpa"] * s,
            "package": package * s,
            "dram": dram[sc] * s,
            "ssd": ssd * s,
        }
        die = parts["die_epa"] + parts["die_gpa"] + parts["die_mpa"]
        embodied = die + parts["package"] + parts["dram"] + parts["ssd"]
        total = op + embodied
        out[f"carbon_{sc}_g"] = total
        for name, value in parts.items():
            out[f"carbon_{sc}_{name}_g"] = value
        out[f"carbon_{sc}_die_g"] = die
        out[f"carbon_{sc}_embodied_g"] = embodied
        out[f"carbon_{sc}_ex_pkg_g"] = total - parts["package"]
        out[f"embodied_share_{sc}"] = s
        if ops is not None:
            out[f"carbon_{sc}_g_per_op"] = total / np.asarray(ops, dtype=float)
    out["meets_period"] = meets
    out["pa_chips"] = pa_chips
    out["pa_feasible"] = meets if params.pa_overrun == "deadline" else np.ones_like(meets)
    out["yield"] = y
    shape = np.broadcast_shapes(*(np.shape(v) for v in out.values()))
    return {k: np.broadcast_to(v, shape) for k, v in out.items()}


# Columns the evaluate/sweep tables carry (in this order).
CARBON_COLUMNS: tuple[str, ...] = (
    "carbon_ca_g",
    "carbon_pa_g",
    "carbon_ca_ex_pkg_g",
    "carbon_pa_ex_pkg_g",
    "carbon_ca_operational_g",
    "carbon_ca_die_epa_g",
    "carbon_ca_die_gpa_g",
    "carbon_ca_die_mpa_g",
    "carbon_ca_package_g",
    "carbon_ca_dram_g",
    "carbon_ca_ssd_g",
    "carbon_pa_operational_g",
    "carbon_pa_die_epa_g",
    "carbon_pa_die_gpa_g",
    "carbon_pa_die_mpa_g",
    "carbon_pa_package_g",
    "carbon_pa_dram_g",
    "carbon_pa_ssd_g",
    "meets_period",
    "pa_chips",
    "pa_feasible",
)


def carbon_columns(
    energy_pj: np.ndarray | float,
    latency_ns: np.ndarray | float,
    area_mm2: np.ndarray | float,
    period_ns: np.ndarray | float,
    params: CarbonParams,
    *,
    node_nm: np.ndarray | float | None = None,
) -> dict[str, np.ndarray]:
    """Flat 1-D columns (``CARBON_COLUMNS``) for CSV rows, one entry per design."""
    res = carbon_per_inference(energy_pj, latency_ns, area_mm2, period_ns, params, node_nm=node_nm)
    return {k: np.ravel(np.asarray(res[k])) for k in CARBON_COLUMNS}
