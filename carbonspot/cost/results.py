"""Result records shared by the cost model, the sweep, the studies and the reports.

Units are in the field names. Breakdown dicts map a part name to a value in the unit of the
dict's name; their values sum to the total they break down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LayerResult:
    """Cost of one layer under its chosen mapping (or why no mapping fits)."""

    layer: str
    operator: str
    macs: int
    feasible: bool
    energy_pj: float = float("nan")
    latency_cycles: float = float("nan")
    # e.g. {"array": …, "mem:sram:I": …}; mem keys are "mem:<level name>:<operand>"
    energy_breakdown_pj: dict[str, float] = field(default_factory=dict)
    # e.g. {"mac_computation": …, "stall": …, "onloading": …, "offloading": …}
    latency_breakdown_cycles: dict[str, float] = field(default_factory=dict)
    spatial_mapping: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # innermost first: [{"dim": "K", "size": 4, "levels": {"I": "sram", "W": "reg_W1", "O": …}}]
    temporal_mapping: list[dict[str, Any]] = field(default_factory=list)
    utilization: float = float("nan")
    reason: str | None = None


@dataclass
class WorkloadResult:
    """A workload on one accelerator: layer costs summed, with breakdowns."""

    workload: str
    accelerator: str
    feasible: bool
    ops: int
    energy_pj: float
    latency_cycles: float
    tclk_ns: float
    area_mm2: float
    layers: list[LayerResult] = field(default_factory=list)
    energy_breakdown_pj: dict[str, float] = field(default_factory=dict)
    latency_breakdown_cycles: dict[str, float] = field(default_factory=dict)
    area_breakdown_mm2: dict[str, float] = field(default_factory=dict)
    tclk_breakdown_ns: dict[str, float] = field(default_factory=dict)
    reason: str | None = None

    @property
    def latency_ns(self) -> float:
        """Time per inference in ns."""
        return self.latency_cycles * self.tclk_ns

    @property
    def tops_per_w(self) -> float:
        """TOP/s/W = ops per pJ."""
        return self.ops / self.energy_pj

    @property
    def tops(self) -> float:
        """Throughput in TOP/s (ops per ps)."""
        return self.ops / (self.latency_ns * 1000.0)

    @property
    def tops_per_mm2(self) -> float:
        """Throughput density in TOP/s/mm²."""
        return self.tops / self.area_mm2
