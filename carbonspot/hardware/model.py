"""Accelerator description: an operational array and a memory hierarchy (no I/O, no costs).

Semantics follow ZigZag (zigzag-model.md §2.1, carbonspot-model.md §8):

* the array has named dimensions (``D1``, ``D2``, ``D3`` …) with sizes;
* memories are listed bottom-up; each holds some of the layer operands ``I``, ``W``, ``O``
  (ZigZag's I1, I2, O) and is shared over its ``served_dims`` (one instance feeds or reduces
  over those dimensions) and replicated over the others;
* a port moves ``bw_max_bits`` per cycle at most; one access of a full word costs the read
  or write energy, and transfers are rounded up to ``bw_min_bits`` (a ``bw_min``-wide access
  costs ``bw_min/bw_max`` of a full one);
* directions are ZigZag's four: ``fh`` write-in from the level above, ``tl`` read-out to the
  level below (or the MACs), ``fl`` write-in from below (partial sums), ``th`` read-out to
  the level above.

All classes are frozen and hashable so results can be cached by accelerator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

OPERAND_NAMES = ("I", "W", "O")
DIRECTIONS = ("fh", "tl", "fl", "th")


@dataclass(frozen=True)
class Port:
    """A memory port: kind ``r``/``w``/``rw``, bandwidths in bits/cycle, what it carries."""

    name: str
    kind: Literal["r", "w", "rw"]
    bw_max_bits: int
    bw_min_bits: int
    allocation: tuple[tuple[str, str], ...]  # (operand, direction)


@dataclass(frozen=True)
class MemoryLevel:
    """One memory instance type in the hierarchy (sizes in bits, energy per full word)."""

    name: str
    size_bits: int
    operands: tuple[str, ...]
    r_bw_bits: int
    w_bw_bits: int
    r_energy_pj: float
    w_energy_pj: float
    area_mm2: float
    served_dims: tuple[str, ...]
    ports: tuple[Port, ...]
    r_bw_min_bits: int | None = None
    w_bw_min_bits: int | None = None
    latency_cycles: int = 1
    kind: Literal["reg", "sram", "dram", "cells"] = "sram"

    @property
    def r_min_bits(self) -> int:
        """Read granularity in bits (defaults to the full word)."""
        return self.r_bw_min_bits or self.r_bw_bits

    @property
    def w_min_bits(self) -> int:
        """Write granularity in bits (defaults to the full word)."""
        return self.w_bw_min_bits or self.w_bw_bits

    def replicas(self, array_dims: dict[str, int]) -> int:
        """Instances of this memory: the product of the array dimensions it does not serve."""
        return math.prod(size for d, size in array_dims.items() if d not in self.served_dims)

    def port_for(self, operand: str, direction: str) -> Port | None:
        """The port that carries ``operand`` in ``direction``, or None."""
        for port in self.ports:
            if (operand, direction) in port.allocation:
                return port
        return None


@dataclass(frozen=True)
class Technology:
    """Gate-level technology constants (carbonspot-model.md §4.1; 28 nm defaults).

    Capacitances in pF, areas in mm², delays in ns, supply in V.
    """

    node_nm: float = 28.0
    vdd_v: float = 0.9
    nd2_cap_pf: float = 0.7e-3
    xor2_cap_pf: float = 0.7e-3 * 1.5
    dff_cap_pf: float = 0.7e-3 * 3
    nd2_area_mm2: float = 0.614e-6
    xor2_area_mm2: float = 0.614e-6 * 2.4
    dff_area_mm2: float = 0.614e-6 * 6
    nd2_delay_ns: float = 0.0478
    xor2_delay_ns: float = 0.0478 * 2.4

    @property
    def wl_cap_pf(self) -> float:
        """Word-line capacitance per cell (half a NAND2 input)."""
        return self.nd2_cap_pf / 2

    @property
    def bl_cap_pf(self) -> float:
        """Bit-line capacitance per cell (half a NAND2 input)."""
        return self.nd2_cap_pf / 2


@dataclass(frozen=True)
class DigitalArray:
    """Array of digital MAC units (PEs).

    ``reduce_dim`` names the dimension reduced by adder trees (weight-stationary template),
    ``None`` for output-stationary arrays where each PE accumulates locally.
    """

    dims: tuple[tuple[str, int], ...]
    mac_energy_pj: float
    pe_area_mm2: float
    tclk_ns: float
    input_bits: int = 8
    weight_bits: int = 8
    reduce_dim: str | None = None
    tech: Technology = field(default_factory=Technology)
    # dimensions along which operands move one PE per cycle (a systolic array, ZigZag 3.9's
    # ``systolic_dimensions``): the last results leave the array (unroll - 1) cycles late
    systolic_dims: tuple[str, ...] = ()

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Array dimension sizes by name."""
        return dict(self.dims)

    @property
    def units(self) -> int:
        """Number of MAC units."""
        return math.prod(s for _, s in self.dims)


@dataclass(frozen=True)
class ImcArray:
    """SRAM in-memory-computing macros (AIMC or DIMC), carbonspot-model.md §4.

    ``wl_dim`` (inputs broadcast, one output channel per column group) and ``bl_dim``
    (accumulation direction) are the macro's dimensions; all other dimensions count macros.
    """

    imc_type: Literal["analog", "digital"]
    dims: tuple[tuple[str, int], ...]
    input_bits: int = 8
    weight_bits: int = 8
    input_bits_per_cycle: int = 1
    adc_bits: float = 0.0
    group_depth: int = 1
    wl_dim: str = "D1"
    bl_dim: str = "D2"
    tech: Technology = field(default_factory=Technology)
    # area of one cell group (P_w·group_depth cells) in mm²; None = SRAM model (§4.3)
    cell_group_area_mm2: float | None = None

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Array dimension sizes by name."""
        return dict(self.dims)

    @property
    def units(self) -> int:
        """Number of (weight-cell-group) compute units: WL x BL x macros."""
        return math.prod(s for _, s in self.dims)

    @property
    def wl(self) -> int:
        """Columns (output channels) per macro."""
        return self.dim_sizes[self.wl_dim]

    @property
    def bl(self) -> int:
        """Rows accumulated per macro."""
        return self.dim_sizes[self.bl_dim]

    @property
    def macros(self) -> int:
        """Number of macros (product of the remaining dimensions)."""
        return math.prod(s for d, s in self.dims if d not in (self.wl_dim, self.bl_dim))


@dataclass(frozen=True)
class Accelerator:
    """A single-core accelerator: array + bottom-up memories + where it came from."""

    name: str
    array: DigitalArray | ImcArray
    memories: tuple[MemoryLevel, ...]
    spec: str = ""
    preset: str = "corrected"
    params: tuple[tuple[str, object], ...] = ()
    # the dataflow: layer loops the mapper may unroll on each array dimension (None: any)
    hint: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Array dimension sizes by name."""
        return self.array.dim_sizes

    @cached_property
    def _hash(self) -> int:
        return hash(
            (self.name, self.array, self.memories, self.spec, self.preset, self.params, self.hint)
        )

    def __hash__(self) -> int:
        # accelerators key every mapping cache; hashing the nested fields once is enough
        return self._hash

    def __getstate__(self) -> dict:
        # string hashes differ between processes: never ship the cached one
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @property
    def is_imc(self) -> bool:
        """True for in-memory-computing arrays."""
        return isinstance(self.array, ImcArray)

    def levels(self, operand: str) -> tuple[MemoryLevel, ...]:
        """Memories holding ``operand``, bottom-up."""
        return tuple(m for m in self.memories if operand in m.operands)
