"""Cost of (layer, accelerator, mapping) with ZigZag's semantics, vectorised over loop nests.

One ``Problem`` fixes the layer, the accelerator (memories pruned per layer, §9.5), the
spatial mapping and the preset; ``evaluate`` then costs many temporal mappings at once. The
candidates are numpy arrays — ``dims``/``sizes`` of shape (C, N) (loop nest, innermost
first) and per operand ``cuts`` of shape (C, n_levels) (end index of each memory level) —
so no object is built per candidate.

Semantics (zigzag-model.md §7, carbonspot-model.md §6, §4.9):

* stationarity merge-down: the innermost operand-irrelevant loops of a level move down;
* data per instance at each level from the cumulative loop sizes (input halo by the
  partially-relevant formula), fan-out boost and instance counts from the spatial mapping;
* word accesses in the four directions ``ceil(A·p/bw_min)·bw_min/bw_max·PC·instances``;
* energy = array energy + Σ memory levels per operand;
* latency = ideal temporal cycles (× bit-serial cycles for IMC) + stalls (port model for
  digital, weight loading for IMC under the original's preset) + on/off-loading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from carbonspot.hardware import digital as digital_model
from carbonspot.hardware import imc as imc_model
from carbonspot.hardware.model import Accelerator, ImcArray, MemoryLevel
from carbonspot.mapping.model import DIM_INDEX, spatial_totals
from carbonspot.presets import Preset
from carbonspot.workload.model import LOOP_DIMS, Layer

NDIM = len(LOOP_DIMS)
_B, _K, _G, _C, _OY, _OX, _FY, _FX = (DIM_INDEX[d] for d in LOOP_DIMS)
# Operand order used by ZigZag's sequential double-buffer update (equation order O, W, I).
OP_ORDER = ("O", "W", "I")
# Plain irrelevant loops (the input's pr loops are neither r nor ir), zigzag-model.md §4.2.
IR_DIMS = {"W": (_B, _OY, _OX), "O": (_C, _FY, _FX), "I": (_K,)}
R_DIMS = {"W": (_G, _K, _C, _FY, _FX), "O": (_B, _G, _K, _OY, _OX), "I": (_B, _G, _C)}
DIRS = ("fh", "tl", "fl", "th")


def _mask(idx: tuple[int, ...]) -> np.ndarray:
    m = np.zeros(NDIM, dtype=bool)
    m[list(idx)] = True
    return m


IR_MASK = {op: _mask(v) for op, v in IR_DIMS.items()}
R_MASK = {op: _mask(v) for op, v in R_DIMS.items()}


def _pr_extent(a: np.ndarray, b: np.ndarray, sa: int, sb: int) -> np.ndarray:
    g = math.gcd(sa, sb)
    return a * b - np.maximum(0.0, b - sa / g) * np.maximum(0.0, a - sb / g)


def tile_elements(layer: Layer, op: str, dims: np.ndarray) -> np.ndarray:
    """Elements of ``op`` touched by tiles ``dims`` (..., 8) in LOOP_DIMS order (float)."""
    if op == "W":
        return dims[..., _G] * dims[..., _K] * dims[..., _C] * dims[..., _FY] * dims[..., _FX]
    if op == "O":
        return dims[..., _B] * dims[..., _G] * dims[..., _K] * dims[..., _OY] * dims[..., _OX]
    sy, sx = layer.stride
    dy, dx = layer.dilation
    iy_max, ix_max = layer.input_extent
    iy = np.minimum(iy_max, _pr_extent(dims[..., _OY], dims[..., _FY], sy, dy))
    ix = np.minimum(ix_max, _pr_extent(dims[..., _OX], dims[..., _FX], sx, dx))
    return dims[..., _B] * dims[..., _G] * dims[..., _C] * iy * ix


@dataclass
class OperandInfo:
    """Per-operand constants of a Problem: its memory levels and spatial fan-out entries."""

    op: str
    levels: list[MemoryLevel]
    mem_index: list[int]  # index of each level in the accelerator's memory list
    sizes_bits: list[float]  # per-instance capacity (diagonal mapping may enlarge reg_I)
    below_frac: np.ndarray  # (n+2, 8) product of spatial entries < a
    below_int: np.ndarray
    unit_count: np.ndarray  # (n+1,) instances at arch level a (fractional mapping)
    unit_count_int: np.ndarray
    boost: np.ndarray  # (n+1,) distinct children fed per instance (fractional)
    boost_int: np.ndarray
    entry_has_ir: np.ndarray  # (n+1,) spatial entry a holds an O-irrelevant unrolling > 1

    @property
    def n(self) -> int:
        return len(self.levels)


@dataclass
class Problem:
    """Everything fixed while the temporal mapping varies."""

    layer: Layer
    acc: Accelerator
    preset: Preset
    frac: dict[str, dict[str, float]]  # per array dim: {layer dim: fractional unroll}
    integer: dict[str, dict[str, float]]
    ops: dict[str, OperandInfo]
    array_energy_pj: float
    array_breakdown_pj: dict[str, float]
    cycles_per_op: float
    rows_total: float = 1.0  # IMC: mapped rows incl. diagonal halo (weight-loading rows)
    group_depth: float = 1.0
    temporal: dict[str, int] = field(default_factory=dict)
    # diagonal mapping widens the activation register: size and bandwidth × unroll (§9.1)
    bw_scale: dict[str, float] = field(default_factory=dict)
    # per-transfer constants by the list of transfers costed, filled lazily
    transfer_constants: dict[tuple, TransferConstants] = field(default_factory=dict)

    @property
    def active_units(self) -> float:
        return float(np.prod([s for oa in self.frac.values() for s in oa.values()]))


def _vec(d: dict[str, float]) -> np.ndarray:
    v = np.ones(NDIM)
    for k, s in d.items():
        v[DIM_INDEX[k]] *= s
    return v


def _operand_info(
    layer: Layer,
    acc: Accelerator,
    op: str,
    n_keep: int,
    frac: dict[str, dict[str, float]],
    integer: dict[str, dict[str, float]],
    size_scale: dict[str, float],
    skip: frozenset[str] = frozenset(),
) -> OperandInfo:
    levels_all = [(i, m) for i, m in enumerate(acc.memories) if op in m.operands]
    levels_all = [(i, m) for i, m in levels_all[:n_keep] if m.name not in skip]
    n = len(levels_all)
    consumed: set[str] = set()
    entries: list[list[str]] = []
    for _, mem in levels_all:
        here = [oa for oa in mem.served_dims if oa not in consumed and oa in frac]
        consumed.update(here)
        entries.append(here)
    entries.append([oa for oa in frac if oa not in consumed])
    ef = [np.prod([_vec(frac[oa]) for oa in e], axis=0) if e else np.ones(NDIM) for e in entries]
    ei = [np.prod([_vec(integer[oa]) for oa in e], axis=0) if e else np.ones(NDIM) for e in entries]

    def below(ents: list[np.ndarray]) -> np.ndarray:
        out = [np.ones(NDIM)]
        for e in ents:
            out.append(out[-1] * e)
        return np.array(out)  # (n+2, 8)

    bf, bi = below(ef), below(ei)

    def counts(bl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        prods = np.prod(bl, axis=1)
        uc = np.round(prods[-1] / prods[: n + 1])
        tiles = tile_elements(layer, op, bl)
        uniq = tiles[-1] / tiles
        boost = np.round(uniq[: n + 1] / uniq[1 : n + 2])
        return uc, boost

    uc_f, bo_f = counts(bf)
    uc_i, bo_i = counts(bi)
    has_ir = np.array([bool(np.any(e[IR_MASK["O"]] > 1)) for e in ef])
    sizes = [float(m.size_bits) * size_scale.get(m.name, 1.0) for _, m in levels_all]
    return OperandInfo(
        op=op,
        levels=[m for _, m in levels_all],
        mem_index=[i for i, _ in levels_all],
        sizes_bits=sizes,
        below_frac=bf,
        below_int=bi,
        unit_count=uc_f,
        unit_count_int=uc_i,
        boost=bo_f,
        boost_int=bo_i,
        entry_has_ir=has_ir,
    )


# --------------------------------------------------------------------------- array energy
def spatial_arrays(
    acc: Accelerator, frac: dict[str, dict[str, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """A fractional mapping dict as the (1, NOA, 8) arrays of :func:`array_energy_parts`."""
    names = [oa for oa, _ in acc.array.dims]
    f = np.ones((1, len(names), NDIM))
    pres = np.zeros((1, len(names), NDIM), dtype=bool)
    for oa, loops in frac.items():
        if oa not in names:
            continue
        j = names.index(oa)
        for d, s in loops.items():
            f[0, j, DIM_INDEX[d]] = s
            pres[0, j, DIM_INDEX[d]] = True
    return f, pres


def array_energy_parts(
    layer: Layer, acc: Accelerator, frac: np.ndarray, present: np.ndarray, preset: Preset
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Array energy by component (pJ) and IMC rows incl. diagonal halo, per spatial mapping.

    ``frac`` (C, NOA, 8): fractional unrolling per array dim (``acc.array.dims`` order) and
    layer dim (1 where none); ``present``: the layer dim has an entry on that array dim.
    IMC: carbonspot-model.md §4.4-§4.6; digital: MACs plus WS adder trees (§6.4).
    """
    names = [oa for oa, _ in acc.array.dims]
    C = frac.shape[0]
    macs = float(layer.macs)
    arr = acc.array
    if isinstance(arr, ImcArray):
        ones = np.ones(C)
        wl = names.index(arr.wl_dim) if arr.wl_dim in names else None
        bl = names.index(arr.bl_dim) if arr.bl_dim in names else None
        cols = np.prod(frac[:, wl], axis=1) if wl is not None else ones
        bl_prod = np.prod(frac[:, bl], axis=1) if bl is not None else ones
        rows_add = np.ceil(bl_prod - 1e-9)
        rows_total = rows_add
        if wl is not None and bl is not None:
            # weight-diagonal mapping (OX/OY on the word line): FX/FY rows overlap (§4.6)
            diag = present[:, wl, _OX] | present[:, wl, _OY]
            halo = frac[:, bl].copy()
            for d, p in ((_FX, _OX), (_FY, _OY)):
                partner = present[:, bl, d] & present[:, wl, p]
                halo[:, d] = np.where(partner, frac[:, bl, d] + frac[:, wl, p] - 1, halo[:, d])
            with_halo = np.ceil(np.prod(halo, axis=1) - 1e-9)
            rows_total = np.where(diag & present[:, bl].any(axis=1), with_halo, rows_add)
        unrolled = cols * bl_prod
        parts = imc_model.layer_energy_pj(
            arr,
            mapped_cols=cols,
            rows_total=rows_total,
            rows_add=rows_add,
            activations=macs / unrolled,
            layer_input_bits=layer.precision.input_bits,
            layer_weight_bits=layer.precision.weight_bits,
            preset=preset,
        )
        return {
            k: np.broadcast_to(np.asarray(v, float), (C,)) for k, v in parts.items()
        }, rows_total
    parts = {"mac": np.full(C, arr.mac_energy_pj * layer.macs)}
    if arr.reduce_dim is not None:
        dims = arr.dim_sizes
        r = names.index(arr.reduce_dim)
        rows = np.prod(frac[:, r], axis=1)
        other = [j for j, oa in enumerate(names) if oa != arr.reduce_dim]
        cols = np.prod(frac[:, other[0]], axis=1) if other else np.ones(C)
        active = np.prod(frac.reshape(C, -1), axis=1)
        macros = active / (cols * rows)
        activations = macs / active
        p = layer.precision.psum_bits
        uniq, inv = np.unique(rows, return_inverse=True)
        tree = np.asarray(
            digital_model.adder_tree_energy_pj(dims[arr.reduce_dim], p, uniq, arr.tech), float
        )[inv.reshape(-1)]
        parts["adder_tree"] = tree * cols * macros * activations
    return parts, np.ones(C)


def array_energy_vec(
    layer: Layer, acc: Accelerator, frac: np.ndarray, present: np.ndarray, preset: Preset
) -> tuple[np.ndarray, np.ndarray]:
    """Total array energy (pJ) and IMC rows_total per spatial mapping (arrays of C)."""
    parts, rows_total = array_energy_parts(layer, acc, frac, present, preset)
    total = np.zeros(frac.shape[0])
    for v in parts.values():
        total = total + v
    return total, rows_total


class ArrayEnergy(NamedTuple):
    """Array energy of one spatial mapping."""

    total_pj: float
    parts_pj: dict[str, float]  # by component (e.g. ``mac``, ``adder_tree``, IMC parts)
    rows_total: float  # IMC: mapped rows incl. diagonal halo (1 for digital arrays)


def _array_energy(
    layer: Layer, acc: Accelerator, frac: dict[str, dict[str, float]], preset: Preset
) -> ArrayEnergy:
    """Array energy of one spatial mapping (total, parts, IMC rows)."""
    f, pres = spatial_arrays(acc, frac)
    parts, rows_total = array_energy_parts(layer, acc, f, pres, preset)
    out = {k: float(v[0]) for k, v in parts.items()}
    total = 0.0
    for v in out.values():
        total = total + v
    return ArrayEnergy(total, out, float(rows_total[0]))


def build_problem(
    layer: Layer,
    acc: Accelerator,
    frac: dict[str, dict[str, float]],
    integer: dict[str, dict[str, float]],
    preset: Preset,
    n_levels: dict[str, int] | None = None,
    size_scale: dict[str, float] | None = None,
    skip: dict[str, frozenset[str]] | None = None,
) -> Problem:
    """Precompute the per-(layer, spatial mapping) constants of the cost model.

    ``n_levels`` keeps the lowest levels per operand (unused-memory pruning); ``skip`` names
    levels an operand bypasses (used when a level cannot even hold its spatial tile).
    """
    from carbonspot.mapping.model import temporal_sizes

    n_levels = n_levels or {op: len(acc.levels(op)) for op in OP_ORDER}
    skip = skip or {}
    ops = {
        op: _operand_info(
            layer,
            acc,
            op,
            n_levels[op],
            frac,
            integer,
            size_scale or {},
            skip.get(op, frozenset()),
        )  # fmt: skip
        for op in OP_ORDER
    }
    energy, parts, rows_total = _array_energy(layer, acc, frac, preset)
    gd = 1.0
    if acc.is_imc:
        arr = acc.array
        gd = float(arr.group_depth)
        cpo = layer.precision.input_bits / arr.input_bits_per_cycle
    else:
        cpo = 1.0
    return Problem(
        layer=layer,
        acc=acc,
        preset=preset,
        frac=frac,
        integer=integer,
        ops=ops,
        array_energy_pj=energy,
        array_breakdown_pj=parts,
        cycles_per_op=cpo,
        rows_total=rows_total,
        group_depth=gd,
        temporal=temporal_sizes(layer, spatial_totals(frac)),
        bw_scale=dict(size_scale or {}),
    )


def kept_levels(
    acc: Accelerator, memories: dict[str, list[str]]
) -> tuple[dict[str, int], dict[str, frozenset[str]]]:
    """``(n_levels, skip)`` for :func:`build_problem` from the memories each operand keeps.

    ``memories`` names, per operand (``I``, ``W``, ``O``), the levels it uses bottom-up (as
    ZigZag reports them after its unused-memory removal): the operand keeps ours up to the
    last one named and bypasses the unnamed ones below it. ValueError if a name is not one of
    the operand's levels.
    """
    n_levels = {op: len(acc.levels(op)) for op in OP_ORDER}
    skip: dict[str, frozenset[str]] = {}
    for op, names in memories.items():
        ours = [m.name for m in acc.levels(op)]
        if not names or any(n not in ours for n in names):
            raise ValueError(f"{op}: levels {names} are not among {ours}")
        n_levels[op] = ours.index(names[-1]) + 1
        skip[op] = frozenset(n for n in ours[: n_levels[op]] if n not in names)
    return n_levels, skip


def evaluate_nest(
    prob: Problem, temporal: dict[str, list[list[tuple[str, float]]]], detail: bool = True
) -> Costs:
    """Cost of one loop nest given per operand as the loops of each memory level, bottom-up.

    This is ZigZag's ``temporal_mapping`` format (innermost loop first within a level; every
    operand lists the same loops in the same order, cut at its own level boundaries; loops
    of size 1 are ignored). ValueError when an operand's level count is not the problem's.
    """
    nest = [(d, float(s)) for lv in temporal["O"] for d, s in lv if s > 1]
    cuts = {}
    for op in OP_ORDER:
        levels = [[e for e in lv if e[1] > 1] for lv in temporal[op]]
        if len(levels) != prob.ops[op].n:
            raise ValueError(f"{op}: {len(levels)} levels given, the problem has {prob.ops[op].n}")
        if [e[0] for lv in levels for e in lv] != [d for d, _ in nest]:
            raise ValueError(f"{op}: the loops differ from the output's")
        cuts[op] = np.array([np.cumsum([len(lv) for lv in levels])], dtype=int)
    dims = np.array([[DIM_INDEX[d] for d, _ in nest]], dtype=int).reshape(1, len(nest))
    sizes = np.array([[s for _, s in nest]]).reshape(1, len(nest))
    return evaluate(prob, dims, sizes, cuts, detail=detail)


def array_energy_and_ideal_cycles(
    layer: Layer, acc: Accelerator, frac: dict[str, dict[str, float]], preset: Preset
) -> tuple[float, float]:
    """Array energy (pJ) and ideal temporal cycles of a spatial mapping, as build_problem
    computes them, without the per-operand constants: the mapper's cheap lower bound."""
    from carbonspot.mapping.model import temporal_sizes

    energy = _array_energy(layer, acc, frac, preset).total_pj
    cpo = layer.precision.input_bits / acc.array.input_bits_per_cycle if acc.is_imc else 1.0
    temporal = temporal_sizes(layer, spatial_totals(frac))
    return float(energy), float(np.prod([float(v) for v in temporal.values()])) * cpo


def too_small_levels(prob: Problem) -> dict[str, frozenset[str]]:
    """Levels to bypass: where the operands' spatial tiles alone overflow the capacity.

    Per memory, the operands for which it is not the top level are dropped, largest tile
    first, until the remaining tiles fit. Used only when no ordering fits otherwise.
    """
    layer = prob.layer
    need: dict[int, list[_TileNeed]] = {}
    for op, info in prob.ops.items():
        for k in range(info.n):
            elems = float(tile_elements(layer, op, info.below_frac[k + 1]))
            p = layer.precision.psum_bits if op == "O" else layer.precision.of(op)
            need.setdefault(info.mem_index[k], []).append(
                _TileNeed(elems * p, op, k == info.n - 1, info.sizes_bits[k])
            )
    out: dict[str, set[str]] = {}
    for idx, items in need.items():
        cap = max(x.capacity_bits for x in items)
        items = sorted(items, reverse=True)  # largest tile first (ties: operand, top, size)
        total = sum(x.bits for x in items)
        for x in items:
            if total <= cap:
                break
            if not x.top:
                out.setdefault(x.op, set()).add(prob.acc.memories[idx].name)
                total -= x.bits
    return {op: frozenset(v) for op, v in out.items()}


class _TileNeed(NamedTuple):
    """One operand's spatial tile at one memory (sorted as a tuple: bits first)."""

    bits: float  # the tile at the operand's precision (outputs: partial sums)
    op: str
    top: bool  # the memory is the operand's top level (it cannot be bypassed)
    capacity_bits: float  # the operand's per-instance capacity of the memory


# --------------------------------------------------------------------------- evaluation
@dataclass
class Costs:
    """Vectorised results, one entry per candidate."""

    energy_pj: np.ndarray
    mem_energy_pj: np.ndarray
    latency_total0: np.ndarray
    latency_total2: np.ndarray
    ideal_temporal: np.ndarray
    stall: np.ndarray
    onload: np.ndarray
    offload: np.ndarray
    mem_breakdown: dict[tuple[str, str], np.ndarray] | None = None
    accesses: dict[tuple[str, str, str], np.ndarray] | None = None

    def pick(self, i: int) -> Costs:
        """The costs of candidate ``i`` alone (arrays of length 1)."""
        sl = slice(i, i + 1)

        def sub(d):
            return None if d is None else {k: v[sl] for k, v in d.items()}

        return Costs(
            self.energy_pj[sl], self.mem_energy_pj[sl], self.latency_total0[sl],
            self.latency_total2[sl], self.ideal_temporal[sl], self.stall[sl], self.onload[sl],
            self.offload[sl], sub(self.mem_breakdown), sub(self.accesses),
        )  # fmt: skip


class PortBandwidth(NamedTuple):
    """The port an operand's transfer in one direction uses, and its widths."""

    name: str | None  # the port's name; None when the memory has no port for it (r/w widths)
    bw_max_bits: float  # bits per cycle
    bw_min_bits: float  # access granularity in bits


def _port(
    mem: MemoryLevel, op: str, direction: str, scale: float = 1.0, min_scale: float = 1.0
) -> PortBandwidth:
    """Port of ``op``'s transfers in ``direction``; widths × ``scale`` / ``min_scale``
    (the diagonal mapping's widened register)."""
    p = mem.port_for(op, direction)
    if p is not None:
        bw, bw_min = float(p.bw_max_bits), float(p.bw_min_bits or p.bw_max_bits)
        name = p.name
    elif direction in ("tl", "th"):
        name, bw, bw_min = None, float(mem.r_bw_bits), float(mem.r_min_bits)
    else:
        name, bw, bw_min = None, float(mem.w_bw_bits), float(mem.w_min_bits)
    return PortBandwidth(name, bw * scale, bw_min * min_scale)


def _union_count(P: np.ndarray, W: np.ndarray, PC: np.ndarray) -> np.ndarray:
    """Cycles covered by the update windows of activities on one port (zigzag-model.md §7.7).

    Each activity marks the first W cycles of every P-cycle block. Periods are prefix
    products of one loop nest, so they divide each other and the count is exact by
    recursion over periods sorted ascending. Inactive activities carry W = 0.
    """
    C, K = P.shape
    active = (PC > 0) & (W > 0)
    Pe = np.where(active, P, 1.0)
    We = np.where(active, W, 0.0)
    full = active & (W >= P)
    # original's shortcut: a window equal to its period covers everything
    first_full = np.argmax(full, axis=1)
    any_full = full.any(axis=1)
    out_full = (P * PC)[np.arange(C), first_full]
    order = np.argsort(Pe, axis=1, kind="stable")
    Ps = np.take_along_axis(Pe, order, axis=1)
    Ws = np.take_along_axis(We, order, axis=1)
    kmax = order[:, -1]
    pc_max = PC[np.arange(C), kmax]

    def cov(i: int, x: np.ndarray) -> np.ndarray:
        if i < 0:
            return np.zeros_like(x)
        p, w = Ps[:, i], Ws[:, i]
        q = np.floor(x / p)
        r = x - q * p
        rw = np.minimum(r, w)
        part = rw + cov(i - 1, r) - cov(i - 1, rw)
        blk = w + cov(i - 1, p) - cov(i - 1, np.minimum(w, p)) if np.any(q > 0) else 0.0
        return q * blk + part

    if K <= 5:
        union = cov(K - 1, Ps[:, -1]) * pc_max
    else:  # independence approximation for very crowded ports
        frac_unc = np.prod(np.where(Ps > 0, 1 - Ws / Ps, 1.0), axis=1)
        union = (1 - frac_unc) * Ps[:, -1] * pc_max
    return np.where(any_full, out_full, union)


class OperandNest(NamedTuple):
    """One operand's quantities over C loop nests, per architectural level ``a`` (C, n+1).

    Level ``a = 0`` is the array side of the lowest memory, ``a = k + 1`` the data held at
    memory level k (zigzag-model.md §7). Iteration counts are products of temporal loop
    sizes (one iteration = ``cycles_per_op`` clock cycles).
    """

    n_levels: int  # memory levels of the operand
    cuts: np.ndarray  # (C, n) end index of each level's loops after the merge-down
    top_ir_iterations: np.ndarray  # product of the irrelevant loops on top of level a's tile
    top_r_iterations: np.ndarray  # product of the relevant loops on top of level a's tile
    period_iterations: np.ndarray  # iterations between two updates of level a (stationarity)
    elems_frac: np.ndarray  # elements per instance held at level a (fractional unrolling)
    elems_int: np.ndarray  # the same with the integer unrolling (latency)
    partial_sum: np.ndarray | None  # outputs: level a holds partial sums (None: I, W)
    bits_per_elem: np.ndarray  # precision of level a's elements (outputs: psum or final)


class Transfer(NamedTuple):
    """One transfer: an operand at one memory level in one direction (arrays of C).

    Directions (zigzag-model.md §7.4): ``tl`` to the level below, ``fh`` from the level
    above, ``fl`` from the level below (outputs), ``th`` to the level above (outputs).
    """

    op: str
    level: int  # the operand's memory level, bottom-up
    direction: str
    elems_frac: np.ndarray  # elements per instance per period (fractional unrolling)
    elems_int: np.ndarray  # the same with the integer unrolling (latency)
    period_iterations: np.ndarray  # temporal iterations per period
    periods: np.ndarray  # periods in the layer (0: the transfer never happens)
    bits_per_elem: np.ndarray  # precision of the moved elements


class TransferConstants(NamedTuple):
    """Per-transfer constants of a Problem (entry j = transfer j), cached on the Problem."""

    bw_min_bits: np.ndarray  # access granularity (words are rounded up to it)
    bw_ratio: np.ndarray  # bw_min / bw_max: granules per full-width word
    instances: np.ndarray  # memory instances at the level (fractional unrolling)
    energy_pj_per_word: np.ndarray  # read cost (tl, th) or write cost (fh, fl)
    bw_latency_bits: np.ndarray  # bits per cycle of the port for latency
    port: list[tuple[int, str]]  # (memory index, port name or direction): shared = contend
    names: list[tuple[str, str, str]]  # (memory name, operand, direction)


class TransferTiming(NamedTuple):
    """Latency quantities of one transfer (arrays of C), as the port model reads them."""

    op: str
    level: int
    direction: str
    column: int  # index of the transfer in the stacked (C, transfers) arrays
    port: tuple[int, str]  # the port it uses (memory index, port name or direction)
    bw_bits: float  # the port's bits per cycle for latency
    period_iterations: np.ndarray  # temporal iterations per period
    period_cycles: np.ndarray  # the same in clock cycles (× cycles_per_op)
    window_cycles: np.ndarray  # cycles per period it may take without stalling the array
    real_cycles: np.ndarray  # cycles per period it takes at the port's bandwidth
    periods: np.ndarray  # periods that move data (0 when it moves nothing)
    elems_int: np.ndarray  # elements per period (integer unrolling)
    bits_per_elem: np.ndarray


def evaluate(
    prob: Problem,
    dims: np.ndarray,
    sizes: np.ndarray,
    cuts: dict[str, np.ndarray],
    detail: bool = False,
) -> Costs:
    """Cost of C temporal mappings: ``dims``/``sizes`` (C, N), ``cuts[op]`` (C, n_op)."""
    layer, preset = prob.layer, prob.preset
    C, N = dims.shape
    sizes = sizes.astype(float)
    ar = np.arange(C)
    onehot = np.ones((C, N, NDIM))
    if N:
        onehot[ar[:, None], np.arange(N)[None, :], dims] = sizes
    cum = np.concatenate([np.ones((C, 1, NDIM)), np.cumprod(onehot, axis=1)], axis=1)
    P = np.concatenate([np.ones((C, 1)), np.cumprod(sizes, axis=1)], axis=1)
    TC = P[:, N]
    cpo = prob.cycles_per_op
    prec = layer.precision

    per: dict[str, OperandNest] = {}
    for op in OP_ORDER:
        info = prob.ops[op]
        n = info.n
        cut = cuts[op]
        is_ir = IR_MASK[op][dims] if N else np.zeros((C, 0), bool)
        is_r = R_MASK[op][dims] if N else np.zeros((C, 0), bool)
        nn = np.full((C, N + 1), N)
        for i in range(N - 1, -1, -1):
            nn[:, i] = np.where(is_ir[:, i], nn[:, i + 1], i)
        cutm = np.empty((C, n), dtype=int)
        for k in range(n - 1):
            cutm[:, k] = nn[ar, cut[:, k]]
        cutm[:, n - 1] = N
        starts = np.concatenate([np.zeros((C, 1), int), cutm[:, :-1]], axis=1)

        def run_start(mask: np.ndarray) -> np.ndarray:
            rs = np.zeros((C, N + 1), dtype=int)
            for e in range(1, N + 1):
                rs[:, e] = np.where(mask[:, e - 1], rs[:, e - 1], e)
            return rs

        ir_rs, r_rs = run_start(is_ir), run_start(is_r)
        top_ir = np.ones((C, n + 1))
        top_r = np.ones((C, n + 1))
        for k in range(n):
            e = cutm[:, k]
            s_ir = np.maximum(ir_rs[ar, e], starts[:, k])
            s_r = np.maximum(r_rs[ar, e], starts[:, k])
            top_ir[:, k + 1] = P[ar, e] / P[ar, s_ir]
            top_r[:, k + 1] = P[ar, e] / P[ar, s_r]
        stat = P[ar, nn[:, 0]] if op != "O" else np.ones(C)
        cel = np.empty((C, n + 1))
        cel[:, 0] = stat
        for a in range(1, n + 1):
            cel[:, a] = P[ar, cutm[:, a - 1]]
        data_f = np.ones((C, n + 1))
        same = np.array_equal(info.below_frac, info.below_int)
        data_i = data_f if same else np.ones((C, n + 1))
        for a in range(1, n + 1):
            tdims = cum[ar, cutm[:, a - 1]]
            data_f[:, a] = np.round(tile_elements(layer, op, tdims * info.below_frac[a]))
            if not same:
                data_i[:, a] = np.round(tile_elements(layer, op, tdims * info.below_int[a]))
        if op == "O":
            pos = np.arange(N)[None, :]
            last_ir = np.max(np.where(is_ir, pos + 1, 0), axis=1) if N else np.zeros(C)
            psum = np.zeros((C, n + 1), dtype=bool)
            for a in range(n):
                s = 0 if a == 0 else cutm[:, a - 1]
                psum[:, a] = (last_ir > s) | bool(info.entry_has_ir[a + 1 :].any())
            pbits = np.where(psum, prec.psum_bits, prec.output_bits).astype(float)
        else:
            psum = None
            pbits = np.full((C, n + 1), float(prec.of(op)))
        per[op] = OperandNest(
            n_levels=n, cuts=cutm, top_ir_iterations=top_ir, top_r_iterations=top_r,
            period_iterations=cel, elems_frac=data_f, elems_int=data_i, partial_sum=psum,
            bits_per_elem=pbits,
        )  # fmt: skip

    # ---- transfers per (op, level, direction): elements per instance, period, count
    acts: list[Transfer] = []
    zero = np.zeros(C)
    for op in OP_ORDER:
        info, d = prob.ops[op], per[op]
        n = d.n_levels
        data_f, data_i, cel, pbits = d.elems_frac, d.elems_int, d.period_iterations, d.bits_per_elem
        for m in range(n):
            top = m == n - 1
            if op != "O":
                a_tl_f = data_f[:, m] * info.boost[m]
                a_tl_i = data_i[:, m] * info.boost_int[m]
                p_tl = cel[:, m]
                acts.append(Transfer(op, m, "tl", a_tl_f, a_tl_i, p_tl, TC // p_tl, pbits[:, m]))
                if not top:
                    p_fh = cel[:, m + 1]
                    acts.append(
                        Transfer(op, m, "fh", data_f[:, m + 1], data_i[:, m + 1], p_fh,
                                 TC // p_fh, pbits[:, m + 1])
                    )  # fmt: skip
            else:
                a_fl_f = np.floor(data_f[:, m] * info.boost[m])
                a_fl_i = np.floor(data_i[:, m] * info.boost_int[m])
                p_fl = cel[:, m]
                pc_fl = TC // p_fl
                acts.append(Transfer(op, m, "fl", a_fl_f, a_fl_i, p_fl, pc_fl, pbits[:, m]))
                ps = d.partial_sum[:, m]
                acts.append(
                    Transfer(op, m, "tl", np.where(ps, a_fl_f, 0), np.where(ps, a_fl_i, 0), p_fl,
                             np.where(ps, pc_fl, 0), pbits[:, m])
                )  # fmt: skip
                if not top:
                    p_th = cel[:, m + 1]
                    pc_th = TC // p_th
                    acts.append(
                        Transfer(op, m, "th", data_f[:, m + 1], data_i[:, m + 1], p_th, pc_th,
                                 pbits[:, m + 1])
                    )  # fmt: skip
                    ps1 = d.partial_sum[:, m + 1]
                    acts.append(
                        Transfer(op, m, "fh", np.where(ps1, data_f[:, m + 1], 0),
                                 np.where(ps1, data_i[:, m + 1], 0), p_th,
                                 np.where(ps1, pc_th, 0), pbits[:, m + 1])
                    )  # fmt: skip

    # ---- word accesses and memory energy (fractional mapping), all transfers at once
    consts = _transfer_constants(prob, acts)
    a_f = np.stack([t.elems_frac for t in acts], axis=1)
    a_i = np.stack([t.elems_int for t in acts], axis=1)
    pdur_all = np.stack([t.period_iterations for t in acts], axis=1)
    pc_all = np.stack([t.periods for t in acts], axis=1)
    pb = np.stack([t.bits_per_elem for t in acts], axis=1)
    words = np.floor(
        np.ceil(a_f * pb / consts.bw_min_bits - 1e-9) * consts.bw_ratio * pc_all
        * consts.instances + 1e-6
    )  # fmt: skip
    words = np.where((a_f > 0) & (pb > 0), words, 0.0)
    e_all = words * consts.energy_pj_per_word
    mem_e = e_all.sum(axis=1)
    breakdown: dict[tuple[str, str], np.ndarray] = {}
    accesses: dict[tuple[str, str, str], np.ndarray] = {}
    if detail:
        for j, (mem_name, op, direction) in enumerate(consts.names):
            key = (mem_name, op)
            breakdown[key] = breakdown.get(key, zero) + e_all[:, j]
            accesses[(mem_name, op, direction)] = words[:, j]

    # ---- latency (integer mapping)
    ideal_temporal = TC * cpo
    db = _double_buffer(prob, per)

    def at_level(t: Transfer) -> int:
        """Architectural level whose update window the transfer fills."""
        return t.level if t.direction in ("tl", "fl") else t.level + 1

    db_col = np.stack([db[t.op][:, at_level(t)] for t in acts], axis=1)
    tir_col = np.stack([per[t.op].top_ir_iterations[:, at_level(t)] for t in acts], axis=1)
    w_all = np.where(db_col, pdur_all, np.floor(pdur_all / tir_col))
    w_all = np.ceil(w_all * cpo - 1e-9)
    real_all = np.where(a_i > 0, np.ceil(a_i * pb / consts.bw_latency_bits - 1e-9), 0.0)
    pcl_all = np.where(a_i > 0, pc_all, 0)
    ss_all = np.where(pcl_all > 0, (real_all - w_all) * np.maximum(pcl_all - 1, 0), 0.0)
    port_acts: dict[tuple[int, str], list[TransferTiming]] = {}
    timings: dict[tuple[str, int, str], TransferTiming] = {}
    for j, t in enumerate(acts):
        port = consts.port[j]
        timing = TransferTiming(
            op=t.op, level=t.level, direction=t.direction, column=j, port=port,
            bw_bits=consts.bw_latency_bits[j], period_iterations=pdur_all[:, j],
            period_cycles=pdur_all[:, j] * cpo, window_cycles=w_all[:, j],
            real_cycles=real_all[:, j], periods=pcl_all[:, j], elems_int=a_i[:, j],
            bits_per_elem=pb[:, j],
        )  # fmt: skip
        port_acts.setdefault(port, []).append(timing)
        timings[(t.op, t.level, t.direction)] = timing
    ss_comb = np.zeros(C)
    singles = [lst[0].column for lst in port_acts.values() if len(lst) == 1]
    if singles:
        ss_comb = np.maximum(ss_comb, ss_all[:, singles].max(axis=1))
    for lst in port_acts.values():
        if len(lst) == 1:
            continue
        cols = [x.column for x in lst]
        pdur = np.stack([x.period_cycles for x in lst], axis=1)
        w = w_all[:, cols]
        pc = pcl_all[:, cols]
        ss = ss_all[:, cols]
        muw = np.where(pc > 0, w * np.maximum(pc - 1, 0), 0.0)
        union = _union_count(np.ceil(pdur), w, pc)
        pos = np.where(ss > 0, ss, 0).sum(axis=1)
        neg = np.where(ss < 0, ss, 0).sum(axis=1)
        ss_comb = np.maximum(ss_comb, pos + np.maximum(0, neg + muw.sum(axis=1) - union))

    if prob.acc.is_imc:
        # one weight row is written per clock cycle; bit-serial inputs do not slow writes, so
        # neither preset scales this by cycles_per_op (docs/model-differences.md)
        wl_cycles = _weight_loading(prob, timings, TC)
        if preset.imc_latency_weight_loading_only:
            stall = wl_cycles
        else:
            stall = np.maximum(ss_comb, wl_cycles)
    else:
        stall = ss_comb

    onload, offload = _loading(prob, per, port_acts, ideal_temporal + stall)
    total0 = ideal_temporal + stall
    total2 = total0 + onload + offload
    return Costs(
        energy_pj=prob.array_energy_pj + mem_e,
        mem_energy_pj=mem_e,
        latency_total0=total0,
        latency_total2=total2,
        ideal_temporal=ideal_temporal,
        stall=stall,
        onload=onload,
        offload=offload,
        mem_breakdown=breakdown if detail else None,
        accesses=accesses if detail else None,
    )


def _transfer_constants(prob: Problem, acts: list[Transfer]) -> TransferConstants:
    """Per-transfer constants (ports, bandwidths, instances, energy per word), cached."""
    key = tuple((t.op, t.level, t.direction) for t in acts)
    hit = prob.transfer_constants.get(key)
    if hit is not None:
        return hit
    bw_min, ratio, units, cost, bw_lat, port, names = [], [], [], [], [], [], []
    for op, m, direction in key:
        info = prob.ops[op]
        mem = info.levels[m]
        sc = prob.bw_scale.get(mem.name, 1.0)
        energy_port = _port(mem, op, direction, sc, sc)
        latency_port = _port(mem, op, direction, sc)
        bw_min.append(energy_port.bw_min_bits)
        ratio.append(energy_port.bw_min_bits / energy_port.bw_max_bits)
        units.append(info.unit_count[m + 1])
        cost.append(mem.r_energy_pj if direction in ("tl", "th") else mem.w_energy_pj)
        bw_lat.append(latency_port.bw_max_bits)
        port.append((info.mem_index[m], latency_port.name or direction))
        names.append((mem.name, op, direction))
    out = TransferConstants(
        bw_min_bits=np.array(bw_min),
        bw_ratio=np.array(ratio),
        instances=np.array(units),
        energy_pj_per_word=np.array(cost),
        bw_latency_bits=np.array(bw_lat),
        port=port,
        names=names,
    )
    prob.transfer_constants[key] = out
    return out


def _double_buffer(prob: Problem, per: dict[str, OperandNest]) -> dict[str, np.ndarray]:
    """Double-buffer flag per operand and arch level (zigzag-model.md §7.7 step 1)."""
    C = next(iter(per.values())).period_iterations.shape[0]
    eff: dict[tuple[str, int], np.ndarray] = {}
    for op in OP_ORDER:
        info, d = prob.ops[op], per[op]
        for m in range(info.n):
            bits = d.elems_frac[:, m + 1] * d.bits_per_elem[:, m + 1]
            eff[(op, m)] = np.floor(bits / d.top_r_iterations[:, m + 1]) / info.sizes_bits[m]
    # operands sharing one physical memory
    by_mem: dict[int, list[tuple[str, int]]] = {}
    for op in OP_ORDER:
        for m, idx in enumerate(prob.ops[op].mem_index):
            by_mem.setdefault(idx, []).append((op, m))
    shared = {}
    for lst in by_mem.values():
        tot = sum(eff[k] for k in lst)
        for k in lst:
            shared[k] = tot.copy()
    db = {op: np.zeros((C, prob.ops[op].n + 1), dtype=bool) for op in OP_ORDER}
    no_out = prob.preset.output_never_double_buffered
    for op in OP_ORDER:
        info = prob.ops[op]
        for m in range(info.n):
            if op == "O" and no_out:
                continue
            sh = shared[(op, m)]
            ind = eff[(op, m)]
            flag1 = sh <= 0.5
            flag2 = ~flag1 & (ind <= 1 - sh)
            db[op][:, m + 1] = flag1 | flag2
            for k in by_mem[info.mem_index[m]]:
                shared[k] = np.where(flag2, shared[k] + ind, shared[k])
    return db


def _weight_loading(
    prob: Problem, timings: dict[tuple[str, int, str], TransferTiming], TC: np.ndarray
) -> np.ndarray:
    """IMC weight-loading cycles: reload periods × mapped rows × group depth (§4.9)."""
    info = prob.ops["W"]
    if info.n < 2:
        return np.zeros_like(TC)
    rec = timings.get(("W", 0, "fh"))
    if rec is None:
        return np.zeros_like(TC)
    return rec.periods * prob.rows_total * prob.group_depth


# zigzag-dse 3.9.1 reduces a port's once-loaded transfers in its port's operand order (the
# memories list I1, I2, O) when their cycles tie
_TIE_RANK = {"I": 0, "W": 1, "O": 2}


def _reduce_ordered(
    tot: np.ndarray, lo: np.ndarray, surplus: np.ndarray, tie_rank: list[int]
) -> np.ndarray:
    """zigzag-dse 3.9.1's ``reduce_ordered``: the port's surplus cycles shorten its transfers
    largest first, each down to its floor ``lo``, until the surplus is spent.

    ``tot``/``lo`` are (C, K) cycles per transfer (``lo == tot`` for transfers that cannot
    shrink), ``surplus`` (C,); ties in ``tot`` go to the lower ``tie_rank`` first.
    """
    C, K = tot.shape
    if K == 1:
        return np.maximum(lo, tot - surplus[:, None])
    rank = np.asarray(tie_rank, dtype=float)
    order = np.lexsort((np.broadcast_to(rank, (C, K)), -tot), axis=1)
    ar = np.arange(C)
    left = surplus.astype(float).copy()
    val = tot.astype(float).copy()
    for k in range(K):
        j = order[:, k]
        cut = np.minimum(np.maximum(0.0, tot[ar, j] - lo[ar, j]), np.maximum(left, 0.0))
        val[ar, j] = tot[ar, j] - cut
        left = left - cut
    return val


def _loading(
    prob: Problem,
    per: dict[str, OperandNest],
    port_acts: dict[tuple[int, str], list[TransferTiming]],
    comp: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Data on-loading and off-loading cycles (zigzag-model.md §7.7 step 4)."""
    C = comp.shape[0]
    rec_val: dict[tuple[str, int, str], np.ndarray] = {}
    shared_port: dict[tuple[str, int, str], bool] = {}
    for lst in port_acts.values():
        ops_on_port = {x.op for x in lst}
        two_inputs = "I" in ops_on_port and "W" in ops_on_port
        entries = [x for x in lst if not (x.op == "O" and x.direction in ("tl", "fh"))]
        req = np.zeros(C)
        bw_max = entries[0].bw_bits if entries else 1.0
        for x in entries:
            avg = np.floor(x.elems_int * x.bits_per_elem / x.period_iterations)
            req = req + np.where(x.periods > 1, np.ceil(avg / prob.cycles_per_op), 0)
        surplus = np.maximum(0, (bw_max - req) / bw_max * comp)
        keys, tots, mins, once = [], [], [], []
        for x in entries:
            d = per[x.op]
            keys.append((x.op, x.level, x.direction))
            tots.append(np.where(x.periods == 0, 0.0, x.real_cycles))
            # a once-loaded transfer cannot shrink below one innermost tile per word
            tile_cycles = np.ceil(d.elems_int[:, 1] * d.bits_per_elem[:, 1] / x.bw_bits - 1e-9)
            mins.append(np.minimum(x.real_cycles, tile_cycles))
            once.append(x.periods == 1)
            shared_port[(x.op, x.level, x.direction)] = two_inputs
        if not keys:
            continue
        tot = np.stack(tots, axis=1)
        reducible = np.stack(once, axis=1)
        lo = np.where(reducible, np.stack(mins, axis=1), tot)
        val = _reduce_ordered(tot, lo, surplus, [_TIE_RANK[k[0]] for k in keys])
        for j, key in enumerate(keys):
            rec_val[key] = val[:, j]
    buckets = {}
    assign_half = prob.preset.half_shared_bucket_assigned
    for op in ("I", "W"):
        n = prob.ops[op].n
        ind = np.zeros(C)
        sh = np.zeros(C)
        half = np.zeros(C)
        for m in range(n - 1):
            a = rec_val.get((op, m, "fh"), np.zeros(C))
            b = rec_val.get((op, m + 1, "tl"), np.zeros(C))
            x = np.maximum(a, b)
            sa = shared_port.get((op, m, "fh"), False)
            sb = shared_port.get((op, m + 1, "tl"), False)
            if sa and sb:
                sh = sh + x
            elif not sa and not sb:
                ind = ind + x
            else:
                half = x if assign_half else half + x
        buckets[op] = (sh, half, ind)
    s1, h1, i1 = buckets["I"]
    s2, h2, i2 = buckets["W"]
    onload = np.minimum(
        s1 + np.maximum(s2 + h2 + i2, h1 + i1), s2 + np.maximum(s1 + h1 + i1, h2 + i2)
    )
    offload = np.zeros(C)
    n = prob.ops["O"].n
    for m in range(n - 1):
        a = rec_val.get(("O", m, "th"), np.zeros(C))
        b = rec_val.get(("O", m + 1, "fl"), np.zeros(C))
        offload = offload + np.maximum(a, b)
    return onload, offload
