"""Carbon per inference of published IMC chips from their headline metrics (literature study).

A chip is described by TOP/s/W, TOP/s and TOP/s/mm² (INT8-normalised) and its node. With a
benchmark suite's ops per inference and period (carbonspot-model.md §2.1):
energy = ops / (TOP/s/W) pJ (1 TOP/s/W = 1 op/pJ), latency = ops / TOP/s ps, area =
TOP/s / (TOP/s/mm²) mm²; these go through :func:`carbon_per_inference`. As in the original, the
die is the only embodied part unless ``include_package_dram`` is set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from carbonspot.carbon.model import CarbonParams, carbon_per_inference


@dataclass(frozen=True)
class Suite:
    """A benchmark suite as the literature model sees it: ops per inference and a period."""

    name: str
    ops_per_inference: float
    period_ns: float
    note: str = ""


# carbonspot-model.md §2.1 (expr.py:2561-2567)
SUITES: dict[str, Suite] = {
    "tiny": Suite(
        "tiny",
        10_535_996 * 2,
        1e9 / 3.7,
        "MLPerf-Tiny: 3.7 inferences/s (≈ geo-mean of 1, 10, 0.75, 25 FPS); 21 071 992 ops as "
        "hard-coded by the original (origin unclear, carbonspot-model.md §13.13)",
    ),
    "mobile": Suite(
        "mobile",
        6_101_039_461,
        1e9 / 25,
        "MLPerf-Mobile: 25 inferences/s; geo-mean of the four mobile op counts",
    ),
}


def literature_carbon(
    tops_per_w: np.ndarray,
    tops: np.ndarray,
    tops_per_mm2: np.ndarray,
    node_nm: np.ndarray,
    suite: Suite,
    params: CarbonParams,
    *,
    include_package_dram: bool = False,
) -> dict[str, np.ndarray]:
    """CA and PA carbon per inference of each chip, plus operational shares and feasibility."""
    tops_per_w = np.asarray(tops_per_w, dtype=float)
    tops = np.asarray(tops, dtype=float)
    ops = suite.ops_per_inference
    energy_pj = ops / tops_per_w
    latency_ns = ops / tops / 1e3  # 1 TOP/s = 1 op/ps
    area_mm2 = tops / np.asarray(tops_per_mm2, dtype=float)
    if params.literature_ignores_overrun:  # the original never scales PA here (§2.1)
        params = dataclasses.replace(params, pa_overrun="deadline")
    res = carbon_per_inference(
        energy_pj,
        latency_ns,
        area_mm2,
        suite.period_ns,
        params,
        node_nm=node_nm,
        include_package=include_package_dram,
        include_memory=include_package_dram,
    )
    out = dict(res)
    out.update(energy_pj=energy_pj, latency_ns=latency_ns, area_mm2=area_mm2)
    for sc in ("ca", "pa"):
        out[f"operational_share_{sc}"] = res[f"carbon_{sc}_operational_g"] / res[f"carbon_{sc}_g"]
    return out


def select_best(
    tops_per_w: np.ndarray, carbon: dict[str, np.ndarray], *, pa_eligible: np.ndarray | None = None
) -> dict[str, int]:
    """Indices of the most performant chip (max TOP/s/W) and the most carbon-efficient chip in
    CA and PA (min g per inference; in PA only among ``pa_eligible`` chips, if given)."""
    pa = np.asarray(carbon["carbon_pa_g"], dtype=float)
    if pa_eligible is not None and np.any(pa_eligible):
        pa = np.where(pa_eligible, pa, np.inf)
    return {
        "most_performant": int(np.argmax(tops_per_w)),
        "most_carbon_efficient_ca": int(np.argmin(carbon["carbon_ca_g"])),
        "most_carbon_efficient_pa": int(np.argmin(pa)),
    }
