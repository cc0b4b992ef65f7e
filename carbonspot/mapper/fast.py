"""The ``fast`` mapper: the exhaustive search's optimum with branch-and-bound, compiled.

:func:`best_mapping_fast` returns, for one layer, the same optimum as
:func:`carbonspot.mapper.exhaustive.best_mapping` (the ``exhaustive`` search): the same spatial
candidates, the same LPF orderings, LOMA's greedy allocator and the same cost model, but

* the spatial candidates of the ``corrected`` preset (every legal unrolling, often thousands per
  layer) are built as arrays (:func:`all_candidates`), not one Python object each;
* each candidate gets a provable lower bound of the objective — compulsory traffic through every
  memory level, exact level-0 traffic for the best stationarity, latency floors from the ports
  (docs/mapper.md) — and candidates are visited by bound, stopping at the first whose bound
  exceeds the best objective found;
* orderings are allocated and costed one at a time in compiled code
  (:mod:`carbonspot.mapper._kernel`), each dropped at the first cost stage that cannot win.

Ties are broken as the exhaustive search breaks them, so both normally return the same mapping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from carbonspot.cost import model as cm
from carbonspot.hardware.model import Accelerator
from carbonspot.mapper import _kernel as kn
from carbonspot.mapper import exhaustive as mp
from carbonspot.mapper.config import DEFAULT_CONFIG, MapperConfig, MappingCache
from carbonspot.mapping.model import DIM_INDEX, SpatialMapping
from carbonspot.presets import Preset
from carbonspot.workload.model import LOOP_DIMS, Layer

OP_INDEX = {"O": kn.OP_O, "W": kn.OP_W, "I": kn.OP_I}
DIR_INDEX = {"fh": kn.D_FH, "tl": kn.D_TL, "fl": kn.D_FL, "th": kn.D_TH}
DIR_NAMES = {v: k for k, v in DIR_INDEX.items()}
OBJ_CODE = {"edp": kn.OBJ_EDP, "energy": kn.OBJ_ENERGY, "latency": kn.OBJ_LATENCY}
_ND = len(LOOP_DIMS)


# --------------------------------------------------------------------------------------------
# accelerator and layer tables


@dataclass(frozen=True)
class AccTables:
    """An accelerator as arrays for the kernel (memories bottom-up, array dims in order)."""

    oa_names: tuple[str, ...]
    oa_sizes: np.ndarray
    mem_names: tuple[str, ...]
    mem_has: np.ndarray  # (M, 3) bool
    mem_order: np.ndarray  # (M, 3) position of the operand in mem.operands, -1 if absent
    mem_served: np.ndarray  # (M, NOA) bool
    mem_size: np.ndarray
    mem_rcost: np.ndarray
    mem_wcost: np.ndarray
    port_bw: np.ndarray  # (M, 3, 4) bits/cycle
    port_bwmin: np.ndarray
    port_key: np.ndarray  # (M, 3, 4) id of (memory, port name or direction)
    diag_mem: int  # memory the diagonal mapping widens (-1: none)


@lru_cache(maxsize=256)
def acc_tables(acc: Accelerator) -> AccTables:
    """Kernel arrays of an accelerator (cached: accelerators are frozen)."""
    oa = tuple(name for name, _ in acc.array.dims)
    nm = len(acc.memories)
    has = np.zeros((nm, 3), np.bool_)
    order = np.full((nm, 3), -1, np.int64)
    served = np.zeros((nm, len(oa)), np.bool_)
    bw = np.ones((nm, 3, 4))
    bwmin = np.ones((nm, 3, 4))
    key = np.zeros((nm, 3, 4), np.int64)
    keys: dict[tuple, int] = {}
    for i, mem in enumerate(acc.memories):
        for op, o in OP_INDEX.items():
            if op in mem.operands:
                has[i, o] = True
                order[i, o] = mem.operands.index(op)
            for direction, dr in DIR_INDEX.items():
                port = cm._port(mem, op, direction)
                bw[i, o, dr] = port.bw_max_bits
                bwmin[i, o, dr] = port.bw_min_bits
                key[i, o, dr] = keys.setdefault((i, port.name or direction), len(keys))
        for j, name in enumerate(oa):
            served[i, j] = name in mem.served_dims
    inner = mp._inner_memories(acc)
    diag = -1
    if "I" in inner:
        diag = next(i for i, m in enumerate(acc.memories) if m.name == inner["I"].name)
    return AccTables(
        oa_names=oa,
        oa_sizes=np.array([s for _, s in acc.array.dims], dtype=float),
        mem_names=tuple(m.name for m in acc.memories),
        mem_has=has,
        mem_order=order,
        mem_served=served,
        mem_size=np.array([float(m.size_bits) for m in acc.memories]),
        mem_rcost=np.array([float(m.r_energy_pj) for m in acc.memories]),
        mem_wcost=np.array([float(m.w_energy_pj) for m in acc.memories]),
        port_bw=bw,
        port_bwmin=bwmin,
        port_key=key,
        diag_mem=diag,
    )


def layer_constants(layer: Layer) -> np.ndarray:
    """The kernel's layer constants (strides over gcd, input extents, precisions)."""
    lc = np.zeros(kn.LC_SIZE)
    sy, sx = layer.stride
    dy, dx = layer.dilation
    gy, gx = math.gcd(sy, dy), math.gcd(sx, dx)
    lc[kn.LC_SY], lc[kn.LC_DY] = sy / gy, dy / gy
    lc[kn.LC_SX], lc[kn.LC_DX] = sx / gx, dx / gx
    lc[kn.LC_IYMAX], lc[kn.LC_IXMAX] = layer.input_extent
    p = layer.precision
    lc[kn.LC_PIN], lc[kn.LC_PW] = p.input_bits, p.weight_bits
    lc[kn.LC_PSUM], lc[kn.LC_POUT] = p.psum_bits, p.output_bits
    return lc


# --------------------------------------------------------------------------------------------
# candidates as arrays


@dataclass
class Candidates:
    """Spatial candidates of one layer, in the exhaustive search's generation order.

    ``frac``/``intu`` (C, NOA, 8): fractional / integer unrolling per array dim and layer dim
    (:meth:`SpatialMapping.converted`); ``present``: the layer dim has an entry on that array
    dim; ``scale``: widening of the diagonal register. ``mapping(c)`` rebuilds candidate c.
    """

    frac: np.ndarray
    intu: np.ndarray
    present: np.ndarray
    scale: np.ndarray
    mapping: Any  # callable c -> (SpatialMapping, size_scale dict)


def candidates_from_list(
    layer: Layer, acc: Accelerator, cands: list[tuple[SpatialMapping, dict[str, float]]]
) -> Candidates:
    """Arrays of explicitly listed candidates (narrow search, user mapping)."""
    tab = acc_tables(acc)
    noa = len(tab.oa_names)
    C = len(cands)
    frac = np.ones((C, noa, _ND))
    intu = np.ones((C, noa, _ND))
    pres = np.zeros((C, noa, _ND), np.bool_)
    scale = np.ones(C)
    reg = tab.mem_names[tab.diag_mem] if tab.diag_mem >= 0 else None
    for c, (sm, sc) in enumerate(cands):
        f, i = sm.converted(layer, acc.dim_sizes)
        for oa, loops in f.items():
            j = tab.oa_names.index(oa) if oa in tab.oa_names else None
            if j is None:
                continue
            for d, v in loops.items():
                frac[c, j, DIM_INDEX[d]] = v
                intu[c, j, DIM_INDEX[d]] = i[oa][d]
                pres[c, j, DIM_INDEX[d]] = True
        if sc:
            scale[c] = float(sc.get(reg, 1.0)) if reg is not None else 1.0
    return Candidates(frac, intu, pres, scale, lambda c: cands[c])


def _choice_arrays(layer: Layer, choices: list, size: int) -> tuple[np.ndarray, ...]:
    """Per choice of one array dim: product of clipped unrollings, last clipped entry, count."""
    n = len(choices)
    q = np.ones((n, _ND))
    last = np.zeros((n, _ND))
    for i, ch in enumerate(choices):
        for d, s in ch or ():
            _clip_into(layer, q[i], last[i], d, s, size)
    return q, last


def _clip_into(layer: Layer, q: np.ndarray, last: np.ndarray, d: str, s: float, size: int) -> None:
    """Apply one ``(dim, unrolling)`` entry as SpatialMapping.converted clips it."""
    dim_size = layer.loops.get(d, 1)
    if dim_size <= 1 or s <= 1:
        return
    u = min(float(s), float(size), float(dim_size))
    k = DIM_INDEX[d]
    q[k] *= u
    last[k] = u


def all_candidates(
    layer: Layer,
    acc: Accelerator,
    hint: dict[str, list[str]] | None,
    preset: Preset,
    config: MapperConfig = DEFAULT_CONFIG,
) -> Candidates:
    """Every spatial candidate of ``mapper.spatial_candidates`` as arrays, without objects.

    Same set and order: the Cartesian product of the per-dim choices (last dim fastest), each
    combination replaced by its diagonal options when it has any. Only for presets without the
    original's narrow-search quirks (spatial_top_two_per_dim, imc_diagonal_single_bl_dropped).
    """
    import dataclasses

    tab = acc_tables(acc)
    names = tab.oa_names
    noa = len(names)
    hint_full, per_oa = mp.per_dim_candidates(layer, acc, hint, preset, config)
    qs, lasts = [], []
    for j, choices in enumerate(per_oa):
        q, last = _choice_arrays(layer, choices, int(tab.oa_sizes[j]))
        qs.append(q)
        lasts.append(last)
    shape = np.array([len(ch) for ch in per_oa], np.int64)
    rule = mp.diagonal_rule(layer, acc, hint_full)
    if rule is not None and preset.diagonal_last_feasible:
        rule = dataclasses.replace(rule, last_wins=True)
    ja = jo = -1
    pair_key = np.full((1, 1), -1, np.int64)
    key_opts: list[tuple] = []
    a_absent = False
    if rule is not None:
        ja, jo = names.index(rule.a_oa), names.index(rule.o_oa)
        a_absent = per_oa[ja] == [None]
        # the rule reads the activation dim's total unrolling and the output dim's FX/FY
        # (by partner) and other unrollings: key each choice once, each key pair once
        part_a = [
            mp.diagonal_key(rule, {rule.a_oa: list(ch)} if ch else {})[0] for ch in per_oa[ja]
        ]
        part_o = [
            mp.diagonal_key(rule, {rule.o_oa: list(ch)} if ch else {})[1:] for ch in per_oa[jo]
        ]
        key_index: dict[tuple, int] = {}
        pair_key = np.full((shape[ja], shape[jo]), -1, np.int64)
        for ia in range(shape[ja]):
            for io in range(shape[jo]):
                if ja == jo and ia != io:
                    continue  # one array dim: its choice is both
                key = (part_a[ia], *part_o[io])
                ki = key_index.get(key)
                if ki is None:
                    opts = mp.diagonal_options(rule, key)
                    ki = key_index[key] = len(key_opts) if opts else -1
                    if opts:
                        key_opts.append(opts)
                pair_key[ia, io] = ki
    n_opts = [len(o) for o in key_opts]
    key_start = np.array(np.cumsum([0, *n_opts])[:-1], np.int64)
    key_count = np.array(n_opts, np.int64)
    total_opts = sum(n_opts)
    mq = np.ones((max(total_opts, 1), _ND))
    ml = np.zeros((max(total_opts, 1), _ND))
    sc = np.ones(max(total_opts, 1))
    o = 0
    for opts in key_opts:
        for comb in opts:
            for d, s in comb:
                _clip_into(layer, mq[o], ml[o], d, s, int(tab.oa_sizes[ja]))
            sc[o] = float(math.prod(s for _, s in comb))
            o += 1
    off = np.array(np.cumsum([0, *shape])[:-1], np.int64)
    sizes = np.array([float(layer.loops[d]) for d in LOOP_DIMS])
    frac, intu, pres, scale, combo, opt_no = kn.expand_candidates(
        np.concatenate(qs), np.concatenate(lasts), off, shape, ja, jo, pair_key,
        key_start if len(key_start) else np.zeros(1, np.int64),
        key_count if len(key_count) else np.zeros(1, np.int64), mq, ml, sc, a_absent, sizes,
    )  # fmt: skip

    def mapping(c: int) -> tuple[SpatialMapping, dict[str, float]]:
        m = int(combo[c])
        idx = [0] * noa
        for j in range(noa - 1, -1, -1):
            idx[j] = m % int(shape[j])
            m //= int(shape[j])
        ch = [per_oa[j][idx[j]] for j in range(noa)]
        usm = {names[j]: list(x) for j, x in enumerate(ch) if x is not None}
        k = int(opt_no[c])
        if k < 0:
            return SpatialMapping.from_dict(usm), {}
        comb = key_opts[int(pair_key[idx[ja], idx[jo]])][k]
        usm[rule.a_oa] = list(usm.get(rule.a_oa, [])) + list(comb)
        return SpatialMapping.from_dict(usm), {rule.reg: float(math.prod(s for _, s in comb))}

    return Candidates(frac, intu, pres, scale, mapping)


# --------------------------------------------------------------------------------------------
# temporal tables


@lru_cache(maxsize=65536)
def _variants(temporal: tuple[tuple[str, int], ...], single: bool) -> tuple:
    """LPF variants of a temporal loop set, as (labels → (dim, size), sorted label sequence)."""
    t = dict(temporal)
    lists = [mp.loop_prime_factors(t)] if single else mp.lpf_variants(t)
    out = []
    for lpfs in lists:
        keys = sorted(set(lpfs), key=lambda e: (mp.ZZ_ORDER.index(e[0]), e[1]))
        label = {k: i for i, k in enumerate(keys)}
        seq = sorted(label[e] for e in lpfs)
        out.append(
            (tuple(DIM_INDEX[k[0]] for k in keys), tuple(float(k[1]) for k in keys), tuple(seq))
        )
    return tuple(out)


def temporal_sizes(layer: Layer, frac: np.ndarray) -> np.ndarray:
    """Temporal loop size per candidate and layer dim: ceil(L / spatial) (mapping.temporal_sizes)."""
    sizes = np.array([float(layer.loops[d]) for d in LOOP_DIMS])
    total = np.prod(frac, axis=1)
    return np.ceil(sizes[None, :] / total - 1e-9)


def temporal_tables(T: np.ndarray, single: bool) -> tuple[np.ndarray, ...]:
    """Kernel tables of the distinct temporal loop sets ``T`` (U, 8)."""
    rows = []
    for t in T:
        key = tuple((d, int(v)) for d, v in zip(LOOP_DIMS, t, strict=True) if v > 1)
        rows.append(_variants(key, single))
    nv = sum(len(r) for r in rows)
    width = max((len(v[0]) for r in rows for v in r), default=1) or 1
    nlen = max((len(v[2]) for r in rows for v in r), default=1) or 1
    ptr = np.zeros(len(rows) + 1, np.int64)
    var_n = np.zeros(nv, np.int64)
    var_dim = np.zeros((nv, width), np.int64)
    var_size = np.ones((nv, width))
    var_seq = np.zeros((nv, nlen), np.int64)
    v = 0
    for u, r in enumerate(rows):
        ptr[u] = v
        for dims, sizes, seq in r:
            var_n[v] = len(seq)
            var_dim[v, : len(dims)] = dims
            var_size[v, : len(sizes)] = sizes
            var_seq[v, : len(seq)] = seq
            v += 1
    ptr[len(rows)] = v
    if int(var_n.max(initial=0)) > kn.MAXN:
        raise ValueError(f"more than {kn.MAXN} temporal loops")
    return ptr, var_n, var_dim, var_size, var_seq


# --------------------------------------------------------------------------------------------
# the search


@dataclass
class SearchStats:
    """Work done by one layer search (for benchmarks)."""

    candidates: int = 0
    visited: int = 0
    nests_allocated: int = 0
    nests_costed: int = 0
    refined: int = 0


LAST_STATS = SearchStats()  # stats of the latest search in this process (benchmarks read it)


def _consts(layer: Layer, acc: Accelerator, cands: Candidates, preset: Preset):
    energy, rows_total = cm.array_energy_vec(layer, acc, cands.frac, cands.present, preset)
    if acc.is_imc:
        cpo = layer.precision.input_bits / acc.array.input_bits_per_cycle
        gd = float(acc.array.group_depth)
    else:
        cpo, gd = 1.0, 1.0
    consts = np.empty((len(energy), 4))
    consts[:, 0] = energy
    consts[:, 1] = cpo
    consts[:, 2] = rows_total
    consts[:, 3] = gd
    return consts


def best_mapping_fast(
    layer: Layer,
    acc: Accelerator,
    preset: Preset,
    objective: str = "edp",
    n_levels: dict[str, int] | None = None,
    hint: dict[str, list[str]] | None = None,
    spatial: SpatialMapping | None = None,
    *,
    config: MapperConfig = DEFAULT_CONFIG,
    cache: MappingCache | None = None,
) -> mp.Choice | None:
    """The exhaustive search's optimum (:func:`mapper.best_mapping`), by branch-and-bound.

    ``config`` and ``cache`` as for :func:`mapper.best_mapping` (the cache holds the narrow
    presets' candidate lists; the array candidates are built in one compiled pass, uncached).
    """
    _check_limits(acc)
    narrow = preset.spatial_top_two_per_dim or preset.imc_diagonal_single_bl_dropped
    if spatial is not None:
        cands = candidates_from_list(
            layer, acc, [(spatial, mp.user_diagonal_scale(layer, acc, spatial))]
        )
        by_bound = False
    elif narrow:
        cands = candidates_from_list(
            layer, acc, mp.spatial_candidates(layer, acc, hint, preset, config, cache)
        )
        by_bound = False
    else:
        cands = all_candidates(layer, acc, hint, preset, config)
        by_bound = True
    C = len(cands.scale)
    if C == 0:
        return None
    consts = _consts(layer, acc, cands, preset)
    T = temporal_sizes(layer, cands.frac)
    rank = np.arange(C)
    if by_bound:
        # the exhaustive search visits candidates by its cheap bound (stable): the same rank
        # breaks ties between equal objectives
        cycles = np.prod(T, axis=1) * consts[:, 1]
        weak = _weak_bound(consts[:, 0], cycles, objective)
        rank = np.argsort(weak, kind="stable")
    if by_bound:
        rank = rank[_representatives(layer, cands, rank)]
    frac, intu, scale = cands.frac[rank], cands.intu[rank], cands.scale[rank]
    consts = consts[rank]
    T = T[rank]
    T_u, tidx = kn.dedup_rows(np.ascontiguousarray(T))
    tab = acc_tables(acc)
    n_keep = np.array(
        [
            (n_levels or {}).get(op, sum(1 for m in acc.memories if op in m.operands))
            for op in ("O", "W", "I")
        ],
        np.int64,
    )
    fl = np.zeros(kn.FL_SIZE, np.bool_)
    fl[kn.FL_NO_OUT_DB] = preset.output_never_double_buffered
    fl[kn.FL_HALF_ASSIGN] = preset.half_shared_bucket_assigned
    fl[kn.FL_WL_ONLY] = preset.imc_latency_weight_loading_only
    fl[kn.FL_IMC] = acc.is_imc
    out_i = np.zeros(16 + 6 * kn.MAXL + 5 * kn.MAXA, np.int64)
    out_f = np.zeros(1 + 2 * kn.MAXN)
    out_detail = np.zeros(8 + kn.MAXA)
    out_skip = np.zeros((3, len(acc.memories)), np.bool_)
    kn.search_layer(
        frac, intu, scale, consts, tidx, T_u, preset.lpf_single_merge_order, n_keep,
        tab.mem_has, tab.mem_order, tab.mem_served, tab.mem_size, tab.mem_rcost, tab.mem_wcost,
        tab.port_bw, tab.port_bwmin, tab.port_key, tab.diag_mem, layer_constants(layer), fl,
        OBJ_CODE[objective], by_bound, out_i, out_f, out_detail, out_skip, *_work(),
    )  # fmt: skip
    LAST_STATS.candidates = int(out_i[6])
    LAST_STATS.visited = int(out_i[3])
    LAST_STATS.nests_allocated = int(out_i[4])
    LAST_STATS.nests_costed = int(out_i[5])
    LAST_STATS.refined = int(out_i[8 + 3 * kn.MAXL + 5 * kn.MAXA])
    best = int(out_i[0])
    if best < 0:
        return None
    return _choice(acc, cands, int(rank[best]), consts[best], out_i, out_f, out_detail, C)


def _check_limits(acc: Accelerator) -> None:
    """The kernel's fixed sizes: memory levels per operand and array dimensions."""
    from carbonspot.errors import InputError

    for op in ("I", "W", "O"):
        if len(acc.levels(op)) > kn.MAXL:
            raise InputError(
                f"the fast mapper supports at most {kn.MAXL} memory levels per operand "
                f"({op} has {len(acc.levels(op))}); use --mapper exhaustive",
                source=acc.spec or acc.name,
                field="memories",
            )
    if len(acc.array.dims) > 8:
        raise InputError(
            f"the fast mapper supports at most 8 array dimensions ({len(acc.array.dims)}); "
            "use --mapper exhaustive",
            source=acc.spec or acc.name,
            field="operational_array",
        )


@lru_cache(maxsize=1)
def _work() -> tuple:
    """The kernel's work arrays, allocated once per process (several MB)."""
    _announce_compile()
    return kn.new_search_work()


def _announce_compile() -> None:
    """Say so when numba has no compiled kernel on disk yet (the first use compiles it)."""
    import os
    import sys

    try:
        index = kn.search_layer._cache._cache_file._index_path
    except AttributeError:  # numba internals moved: no announcement, nothing else changes
        return
    if not os.path.exists(index):
        print(
            "carbonspot: compiling the fast mapper (first use only, one to two minutes)...",
            file=sys.stderr,
            flush=True,
        )


def mirror_symmetric(layer: Layer) -> bool:
    """Whether swapping OX/FX with OY/FY maps the layer onto itself (a square layer)."""
    lp = layer.loops
    top, left, bottom, right = layer.padding
    return (
        lp["OX"] == lp["OY"]
        and lp["FX"] == lp["FY"]
        and layer.stride[0] == layer.stride[1]
        and layer.dilation[0] == layer.dilation[1]
        and (top, bottom) == (left, right)
        and layer.input_extent[0] == layer.input_extent[1]
    )


def _representatives(layer: Layer, cands: Candidates, rank: np.ndarray) -> np.ndarray:
    """Positions in ``rank`` of the candidates to search: one of each set of equal optima.

    Candidates with equal unrollings and register scale are the same problem. A square layer
    (:func:`mirror_symmetric`) costs a candidate and its OX/OY mirror the same: the cost
    model treats OX/FX and OY/FY alike, and the corrected search's loop orderings (every
    LPF merge tie-break, every permutation) are closed under the swap. The lowest-ranked of
    each set is kept, so ties still go where the exhaustive search sends them.
    """
    keep = kn.representatives(
        cands.frac, cands.intu, cands.present, cands.scale, rank.astype(np.int64),
        mirror_symmetric(layer),
    )  # fmt: skip
    return np.nonzero(keep)[0]


def _weak_bound(energy: np.ndarray, cycles: np.ndarray, objective: str) -> np.ndarray:
    if objective == "edp":
        return energy * cycles
    if objective == "energy":
        return energy + 1e-12 * cycles
    return cycles + 1e-12 * energy


def _choice(acc, cands, c, consts, out_i, out_f, out_detail, C):
    """The kernel's result as a mapper.Choice (names from the accelerator tables)."""
    tab = acc_tables(acc)
    sm, scale = cands.mapping(c)
    N = int(out_i[2])
    dims = out_f[1 : 1 + N].astype(int)[None, :]
    sizes = out_f[1 + kn.MAXN : 1 + kn.MAXN + N][None, :]
    base = 7
    lev0 = 12 + 3 * kn.MAXL + 5 * kn.MAXA
    cuts, levels = {}, {}
    for op, o in OP_INDEX.items():
        n = int(out_i[9 + 3 * kn.MAXL + 5 * kn.MAXA + o])
        cuts[op] = out_i[base + o * kn.MAXL : base + o * kn.MAXL + n][None, :].astype(int)
        levels[op] = tuple(
            tab.mem_names[int(i)] for i in out_i[lev0 + o * kn.MAXL : lev0 + o * kn.MAXL + n]
        )
    na = int(out_i[base + 3 * kn.MAXL])
    acts = out_i[base + 1 + 3 * kn.MAXL : base + 1 + 3 * kn.MAXL + 5 * na].reshape(na, 5)
    d = out_detail
    words = d[8 : 8 + na]
    breakdown: dict[tuple[str, str], np.ndarray] = {}
    accesses: dict[tuple[str, str, str], np.ndarray] = {}
    zero = np.zeros(1)
    op_names = {v: k for k, v in OP_INDEX.items()}
    for j in range(na):
        o, _, dr, _, mem = (int(x) for x in acts[j])
        mem_name = tab.mem_names[mem]
        direction = DIR_NAMES[dr]
        cost = tab.mem_rcost[mem] if direction in ("tl", "th") else tab.mem_wcost[mem]
        key = (mem_name, op_names[o])
        breakdown[key] = breakdown.get(key, zero) + np.array([words[j] * cost])
        accesses[(mem_name, op_names[o], direction)] = np.array([words[j]])
    costs = cm.Costs(
        energy_pj=np.array([d[0]]),
        mem_energy_pj=np.array([d[1]]),
        latency_total0=np.array([d[2]]),
        latency_total2=np.array([d[3]]),
        ideal_temporal=np.array([d[4]]),
        stall=np.array([d[5]]),
        onload=np.array([d[6]]),
        offload=np.array([d[7]]),
        mem_breakdown=breakdown,
        accesses=accesses,
    )
    active = float(np.prod(cands.frac[c]))
    return mp.Choice(
        sm, scale, levels, dims, sizes, cuts, costs, C, float(consts[0]), float(consts[1]),
        active,
    )  # fmt: skip
