"""Mapping search: spatial candidates from hints, then an exhaustive LOMA-style temporal search.

Spatial (carbonspot-model.md §9.1): per array dimension the hinted layer dims, each unrolled
``min(layer, array)`` and capped by the innermost memory's bandwidth / precision for the
operands it serves; mixed unrollings from prime factors; the first two per array dimension by
utilisation (``carbonspot2025``; ``corrected`` keeps all, or the first
``MapperConfig.spatial_per_dim``, visited by a lower bound of the objective); their Cartesian
product; then the weight-diagonal OX/OY augmentation of the activation-served dimension (the
activation register is enlarged accordingly).

The knobs come in a frozen :class:`~carbonspot.mapper.config.MapperConfig` and the spatial
candidates are kept in a :class:`~carbonspot.mapper.config.MappingCache` the caller owns,
keyed with that config; nothing here is a module-global setting or cache.

Temporal (carbonspot-model.md §9.3, zigzag-model.md §6.2-§6.3): temporal loop sizes are
factorised into loop prime factors, merged to at most ``LPF_LIMIT`` (raised to the number
of temporal dims; ``corrected``: every merge LOMA's tie-breaks can give), every unique
ordering is enumerated and allocated bottom-up with LOMA's
greedy allocator — all orderings at once, as numpy arrays — and costed in one vectorised
call. The optimum over all orderings is therefore at least as good as LOMA's.

This is the ``exhaustive`` mapper, kept for verification. The default ``fast`` mapper
(``fastmap`` + the compiled ``_kernel``; docs/mapper.md) reads the same candidate sets from
here (``per_dim_candidates``, ``diagonal_options``, ``lpf_variants``) and returns the same
optimum with branch-and-bound.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from carbonspot.cost import model as cm
from carbonspot.hardware.model import Accelerator
from carbonspot.mapper.config import DEFAULT_CONFIG, MapperConfig, MappingCache

# the mapper kinds, defined with the config and read from here by the layers above
from carbonspot.mapper.config import DEFAULT_MAPPER as DEFAULT_MAPPER
from carbonspot.mapper.config import MAPPERS as MAPPERS
from carbonspot.mapping.model import DIM_INDEX, SpatialMapping, TemporalMapping
from carbonspot.presets import Preset
from carbonspot.workload.model import Layer

# LPFs per nest before merging (LOMA's default; the compiled kernel has the same limit built in)
LPF_LIMIT = 6
# ZigZag's loop dict order for ONNX layers (tie-breaks in LPF merging, candidate order).
ZZ_ORDER = ("B", "K", "G", "OX", "OY", "C", "FX", "FY")
OBJECTIVES = ("edp", "energy", "latency")


def prime_factors(n: int) -> list[int]:
    """Prime factors of n, ascending, with multiplicity."""
    out, i = [], 2
    while i * i <= n:
        while n % i == 0:
            out.append(i)
            n //= i
        i += 1
    if n > 1:
        out.append(n)
    return out


# --------------------------------------------------------------------------- spatial
def _irrelevant(layer: Layer, op: str) -> set[str]:
    return {d for d in layer.irrelevant(op) if layer.loops[d] > 1}


def _inner_memories(acc: Accelerator) -> dict[str, object]:
    out = {}
    for op in ("I", "W", "O"):
        lv = acc.levels(op)
        if lv:
            out[op] = lv[0]
    return out


def spatial_candidates(
    layer: Layer,
    acc: Accelerator,
    hint: dict[str, list[str]] | None,
    preset: Preset,
    config: MapperConfig = DEFAULT_CONFIG,
    cache: MappingCache | None = None,
) -> list[tuple[SpatialMapping, dict[str, float]]]:
    """Spatial mappings to try, each with the memory-size scaling it needs (diagonal).

    Only the array and the innermost memories matter, so with a ``cache`` the list is kept
    under those (and the preset and config); without one it is built afresh.
    """
    if cache is None:
        return _spatial_candidates(layer, acc, hint, preset, config)
    inner = _inner_memories(acc)
    key = (
        layer.key,
        acc.array,
        tuple((op, m.name, m.r_bw_bits, m.w_bw_bits, m.served_dims) for op, m in inner.items()),
        tuple((k, tuple(v)) for k, v in hint.items()) if hint else None,
        preset,
        config,
    )
    return cache.spatial(key, lambda: _spatial_candidates(layer, acc, hint, preset, config))


def per_dim_candidates(
    layer: Layer,
    acc: Accelerator,
    hint: dict[str, list[str]] | None,
    preset: Preset,
    config: MapperConfig = DEFAULT_CONFIG,
) -> tuple[dict[str, list[str]], list[list]]:
    """Unrolling choices per array dimension (in ``acc.array.dims`` order) and the full hint.

    Each list holds tuples of ``(layer dim, unrolling)`` pairs (a mixed unrolling when several),
    or ``[None]`` when the dimension unrolls nothing. Spatial candidates are their Cartesian
    product, each then given the weight-diagonal augmentation (:func:`diagonal_options`).
    """
    dims = acc.array.dims
    loop_order = [d for d in ZZ_ORDER if d in layer.loops]
    hint = dict(hint or {})
    for oa, _ in dims:
        hint.setdefault(oa, list(loop_order))
    maxu = {oa: {d: int(min(layer.loops[d], size)) for d in loop_order} for oa, size in dims}
    inner = _inner_memories(acc)
    for op, mem in inner.items():
        bw = mem.w_bw_bits if op == "O" else mem.r_bw_bits
        p = layer.precision.psum_bits if op == "O" else layer.precision.of(op)
        irr = _irrelevant(layer, op)
        for oa in mem.served_dims:
            if oa not in maxu:
                continue
            for d in loop_order:
                if d in irr or p == 0:
                    continue
                maxu[oa][d] = min(bw // p, maxu[oa][d])
    per_oa: list[list] = []
    for oa, size in dims:
        hints = [h for h in hint[oa]]
        single = [(d, maxu[oa][d]) for d in loop_order if maxu[oa][d] != 1 and d in hints]
        cands: list = [((d, u),) for d, u in single]
        pool = [(d, f) for d, _ in single for f in prime_factors(layer.loops[d])]
        if single and len(hints) >= 2 and (len(pool) > config.mix_pool_limit or len(hints) > 3):
            cands += _mix_divisors(layer, [d for d, _ in single], size)
        elif single and len(hints) >= 2:
            cands += _combination_mixes(hints, pool, size)
        cands.sort(key=lambda c: math.prod(e[1] for e in c), reverse=True)
        keep = 2 if preset.spatial_top_two_per_dim else config.spatial_per_dim
        if keep:
            cands = cands[:keep]
        per_oa.append(cands or [None])
    return hint, per_oa


def _spatial_candidates(
    layer: Layer,
    acc: Accelerator,
    hint: dict[str, list[str]] | None,
    preset: Preset,
    config: MapperConfig,
) -> list[tuple[SpatialMapping, dict[str, float]]]:
    dims = acc.array.dims
    hint, per_oa = per_dim_candidates(layer, acc, hint, preset, config)
    out = []
    dropped: list = []
    seen = set()
    for combo in itertools.product(*per_oa):
        usm = {oa: list(c) for (oa, _), c in zip(dims, combo, strict=False) if c is not None}
        for usm_d, scale in _add_diagonal(layer, acc, usm, hint, preset):
            if preset.imc_diagonal_single_bl_dropped and acc.is_imc and scale:
                bl = usm_d.get(acc.array.bl_dim, [])
                if len(bl) == 1 and bl[0][0] in ("FX", "FY"):
                    dropped.append((SpatialMapping.from_dict(usm_d), scale))
                    continue
            sm = SpatialMapping.from_dict(usm_d)
            if (sm, tuple(sorted(scale.items()))) in seen:
                continue
            seen.add((sm, tuple(sorted(scale.items()))))
            out.append((sm, scale))
    # the original would have crashed; never leave a layer without candidates
    return out or dropped[:1]


def _combination_mixes(hints: list[str], pool: list[tuple[str, int]], size: int) -> list[tuple]:
    """The original's mixed unrollings, in its order, without enumerating its combinations.

    The original takes, for k = 2.. hinted dims, each k-combination of hinted dims and each
    L-combination of their prime factors (``pool``, grouped by dim, ascending) spanning at
    least two dims with product <= ``size``, and keeps each distinct per-dim product the
    first time it appears. A mix over dims D with L prime factors first appears at k = |D|,
    under the dim combination D itself, as the combination of the earliest pool positions
    of its primes; sorting mixes by that key reproduces the original's list exactly.
    """
    hint_pos = {h: i for i, h in enumerate(hints)}
    dims = list(dict.fromkeys(d for d, _ in pool))
    factors = {d: [f for dd, f in pool if dd == d] for d in dims}
    choices: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
    for d in dims:
        fs = factors[d]  # ascending, so each prime's copies are contiguous
        primes = sorted(set(fs))
        first = {p: fs.index(p) for p in primes}
        opts = []
        # every non-empty sub-multiset of the factors, as counts per prime; it first appears
        # at the earliest positions of each prime's copies
        for counts in itertools.product(*(range(fs.count(p) + 1) for p in primes)):
            if not any(counts):
                continue
            pos = tuple(
                i
                for p, k in zip(primes, counts, strict=True)
                for i in range(first[p], first[p] + k)
            )
            opts.append((math.prod(p**k for p, k in zip(primes, counts, strict=True)), pos))
        choices[d] = opts
    out = []
    for k in range(2, len(dims) + 1):
        for dset in itertools.combinations(dims, k):
            if any(d not in hint_pos for d in dset):
                continue
            rank = sorted(hint_pos[d] for d in dset)
            offsets, off = {}, 0
            for d in dims:
                if d in dset:
                    offsets[d] = off
                    off += len(factors[d])
            for combo in itertools.product(*(choices[d] for d in dset)):
                prod = math.prod(u for u, _ in combo)
                if prod > size:
                    continue
                pos = sorted(
                    offsets[d] + p for d, (_, ps) in zip(dset, combo, strict=True) for p in ps
                )
                res = tuple((d, u) for d, (u, _) in zip(dset, combo, strict=True))
                out.append(((k, rank, len(pos), pos), res))
    out.sort(key=lambda e: e[0])
    return [res for _, res in out]


def _divisors(n: int) -> list[int]:
    return [k for k in range(2, n + 1) if n % k == 0]


def _mix_divisors(layer: Layer, dims: list[str], size: int) -> list[tuple]:
    """Every mix of >= 2 dims, each unrolled by a divisor > 1 of its size, product <= size."""
    divs = {d: _divisors(layer.loops[d]) for d in dims}
    out: list[tuple] = []

    def rec(i: int, chosen: list, prod: int) -> None:
        if i == len(dims):
            if len(chosen) >= 2:
                out.append(tuple(chosen))
            return
        d = dims[i]
        rec(i + 1, chosen, prod)
        for v in divs[d]:
            if prod * v > size:
                break
            rec(i + 1, [*chosen, (d, v)], prod * v)

    rec(0, [], 1)
    return out


@dataclass(frozen=True)
class DiagonalRule:
    """The fixed part of the weight-diagonal rule for one (layer, accelerator, hint)."""

    a_oa: str  # the activation-served array dim (gets the OX/OY unrolling)
    o_oa: str  # the output-served array dim (its FX/FY unrolling widens the window)
    a_size: int
    o_size: int
    w_ir: tuple[str, ...]  # weight-irrelevant loops > 1, OY before OX
    targets: tuple[str, ...]  # of those, the ones hinted on a_oa
    pools: tuple[tuple[str, tuple[int, ...]], ...]  # prime factors of each target
    reg: str  # the activation register widened by the unrolling
    last_wins: bool


def diagonal_rule(layer: Layer, acc: Accelerator, hint: dict[str, list[str]]):
    """The diagonal rule's constants, or None when the layer/accelerator never gets one."""
    if len(layer.constant_operands) != 1:
        return None
    inner = _inner_memories(acc)
    if "I" not in inner or "O" not in inner:
        return None
    act_served = list(inner["I"].served_dims)
    out_served = list(inner["O"].served_dims)
    if len(act_served) != 1 or not out_served:
        return None
    sizes = acc.dim_sizes
    a_oa, o_oa = act_served[0], out_served[0]
    # weight-irrelevant loops in the layer's loop order (OY before OX, zigzag-model.md §3)
    w_ir = tuple(d for d in ("OY", "OX") if layer.loops[d] > 1)
    targets = tuple(d for d in w_ir if d in hint.get(a_oa, []))
    if not targets:
        return None
    pools = tuple((d, tuple(prime_factors(layer.loops[d]))) for d in targets)
    return DiagonalRule(
        a_oa, o_oa, sizes[a_oa], sizes[o_oa], w_ir, targets, pools, inner["I"].name, False
    )


def diagonal_key(rule: DiagonalRule, usm: dict[str, list]) -> tuple:
    """What the rule reads of a spatial mapping: the activation-dim unrolling and the
    output-dim FX/FY (by partner) and other unrollings."""
    a_list = usm.get(rule.a_oa)
    exist_act = math.prod(s for _, s in a_list) if a_list else 1
    pair = {"OX": "FX", "OY": "FY"}
    w_r = {d: 1 for d in rule.w_ir}  # existing FX/FY unrolling on the output-served dim
    ir_size = 1
    for d, s in usm.get(rule.o_oa, []):
        partner = [o for o in rule.w_ir if pair[o] == d]
        if partner:
            w_r[partner[0]] *= s
        else:
            ir_size *= s
    return exist_act, tuple(w_r.items()), ir_size


class DiagonalOutcome(NamedTuple):
    """One distinct outcome of the diagonal rule's enumeration of prime-factor combinations."""

    products: tuple[tuple[str, float], ...]  # unrolling per target dim (1.0 = none)
    size: float  # their product: the unrolling added to the activation dim
    first: int  # first and last position in the enumeration (they decide ties)
    last: int


@lru_cache(maxsize=1024)
def _diagonal_outcomes(targets: tuple[str, ...], pools: tuple) -> tuple[DiagonalOutcome, ...]:
    """The rule's combinations in enumeration order, merged by outcome.

    The rule enumerates every combination of the targets' prime factors (per subset of
    targets, by size); only the per-target products matter, so identical products are
    merged, keeping their first and last position in the enumeration (which decide ties).
    Returns the distinct outcomes by first position.
    """
    pool_of = {d: [(d, float(f)) for f in fs] for d, fs in pools}
    seen: dict[tuple, list] = {}
    i = 0
    for k in range(1, len(targets) + 1):
        for dim_comb in itertools.combinations(targets, k):
            pool = [e for d in dim_comb for e in pool_of[d]]
            for L in range(1, len(pool) + 1):
                for comb in itertools.combinations(pool, L):
                    cm_ = {d: 1.0 for d in dim_comb}
                    for d, s in comb:
                        cm_[d] *= s
                    key = tuple(cm_.items())
                    hit = seen.get(key)
                    if hit is None:
                        seen[key] = [key, math.prod(cm_.values()), i, i]
                    else:
                        hit[3] = i
                    i += 1
    return tuple(DiagonalOutcome(*v) for v in seen.values())


@lru_cache(maxsize=65536)
def diagonal_options(rule: DiagonalRule, key: tuple) -> tuple[tuple[tuple[str, float], ...], ...]:
    """OX/OY unrollings to add on the activation dim (carbonspot-model.md §9.1), () if none.

    Of the combinations of the targets' prime factors that fit the activation dim and whose
    FX/FY window fits the output dim, ``corrected`` keeps every largest one (in enumeration
    order); the original keeps the last feasible one, whatever its size (§9.1, §13.9).
    """
    exist_act, w_r_items, ir_size = key
    w_r = dict(w_r_items)
    if 2 * exist_act > rule.a_size:  # only when the existing unroll is at most half (§9.1)
        return ()
    # pools of prime factors; the original's generator adds no fractional "max allowed"
    # factor (the candidates of carbonspot-model.md §9.1 step 7 are prime factors only)
    feasible: list[DiagonalOutcome] = []
    for outcome in _diagonal_outcomes(rule.targets, rule.pools):
        items = outcome.products
        if exist_act * outcome.size > rule.a_size:
            continue
        req = ir_size
        for d, s in items:
            req *= w_r[d] + s - 1
        if len(items) == 1:
            other = [o for o in w_r if o != items[0][0]]
            req *= w_r[other[0]] if other else 1
        if req > rule.o_size:
            continue
        feasible.append(outcome)
    if not feasible:
        return ()
    if rule.last_wins:
        chosen = [max(feasible, key=lambda o: o.last)]
    else:
        top = max(o.size for o in feasible)
        chosen = sorted((o for o in feasible if o.size == top), key=lambda o: o.first)
    options: list = []
    for outcome in chosen:
        comb = [(d, s) for d, s in outcome.products if s > 1]
        if comb and comb not in options:
            options.append(comb)
    return tuple(tuple(c) for c in options)


def _add_diagonal(layer, acc, usm, hint, preset):
    """Weight-diagonal OX/OY unrolling on the activation-served dim (carbonspot-model.md §9.1)."""
    rule = diagonal_rule(layer, acc, hint)
    if rule is None:
        return [(usm, {})]
    if preset.diagonal_last_feasible:
        rule = dataclasses.replace(rule, last_wins=True)
    options = diagonal_options(rule, diagonal_key(rule, usm))
    if not options:
        return [(usm, {})]
    out = []
    for comb in options:
        new_usm = dict(usm)
        new_usm[rule.a_oa] = list(usm.get(rule.a_oa, [])) + list(comb)
        scale = math.prod(s for _, s in comb)
        out.append((new_usm, {rule.reg: float(scale)}))
    return out


def user_diagonal_scale(layer: Layer, acc: Accelerator, sm: SpatialMapping) -> dict[str, float]:
    """Register widening a given mapping needs: OX/OY on the activation-served dim (§9.1)."""
    inner = _inner_memories(acc)
    if "I" not in inner or len(inner["I"].served_dims) != 1:
        return {}
    a_oa = inner["I"].served_dims[0]
    f = math.prod(s for d, s in sm.as_dict().get(a_oa, []) if d in ("OX", "OY"))
    return {inner["I"].name: float(f)} if f > 1 else {}


# --------------------------------------------------------------------------- temporal
def loop_prime_factors(temporal: dict[str, int], limit: int = LPF_LIMIT) -> list[tuple[str, int]]:
    """LPFs of the temporal loops, merged until at most ``limit`` remain (§9.3 step 3)."""
    facs = {d: prime_factors(temporal[d]) for d in ZZ_ORDER if d in temporal}
    limit = max(limit, len(facs))
    while sum(len(v) for v in facs.values()) > limit:
        d = max(facs, key=lambda k: len(facs[k]))  # first maximal in dict order
        f = sorted(facs[d])
        facs[d] = sorted([f[0] * f[1]] + f[2:])
    return [(d, f) for d, fs in facs.items() for f in fs]


def lpf_variants(temporal: dict[str, int], limit: int = LPF_LIMIT) -> list[list[tuple[str, int]]]:
    """Every LPF merge LOMA can produce, whatever its loop-dimension order (corrected preset).

    LOMA merges the two smallest factors of the dim with the most factors; when several dims
    tie, the first in the workload's loop order wins, so the merged factors (and hence the
    orderings searched) depend on how the input lists its dims. Branching over every tie
    gives each outcome; searching their union is at least as good as LOMA for any dim order.
    """
    facs0 = {d: tuple(prime_factors(temporal[d])) for d in ZZ_ORDER if d in temporal}
    limit = max(limit, len(facs0))
    out: list[list[tuple[str, int]]] = []
    seen: set[tuple] = set()
    stack = [facs0]
    while stack:
        facs = stack.pop()
        key = tuple(sorted(facs.items()))
        if key in seen:
            continue
        seen.add(key)
        if sum(len(v) for v in facs.values()) <= limit:
            out.append([(d, f) for d in ZZ_ORDER if d in facs for f in facs[d]])
            continue
        most = max(len(v) for v in facs.values())
        for d in reversed([d for d in facs if len(facs[d]) == most]):
            f = sorted(facs[d])
            stack.append({**facs, d: tuple(sorted([f[0] * f[1], *f[2:]]))})
    return out


@lru_cache(maxsize=4096)
def unique_permutations(labels: tuple[int, ...]) -> np.ndarray:
    """All distinct orderings of a multiset of labels, as an int array (count, n)."""
    n = len(labels)
    if n == 0:
        return np.zeros((1, 0), dtype=int)
    perms = np.array(sorted(set(itertools.permutations(labels))), dtype=int)
    return perms


def orderings(lpfs: list[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(dims, sizes) arrays (C, N) of all unique LPF orderings, innermost first."""
    keys = sorted(set(lpfs), key=lambda e: (ZZ_ORDER.index(e[0]), e[1]))
    label = {k: i for i, k in enumerate(keys)}
    perms = unique_permutations(tuple(label[e] for e in lpfs))
    dim_of = np.array([DIM_INDEX[k[0]] for k in keys] or [0], dtype=int)
    size_of = np.array([k[1] for k in keys] or [1], dtype=float)
    return dim_of[perms], size_of[perms]


def allocate(prob: cm.Problem, dims: np.ndarray, sizes: np.ndarray):
    """LOMA's greedy memory allocator, vectorised over orderings (zigzag-model.md §6.3).

    Returns ``(cuts, valid)``: per operand the end index of each memory level, and a mask
    of orderings that fit every memory.
    """
    layer = prob.layer
    C, N = dims.shape
    ar = np.arange(C)
    onehot = np.ones((C, N, cm.NDIM))
    if N:
        onehot[ar[:, None], np.arange(N)[None, :], dims] = sizes
    cum = np.concatenate([np.ones((C, 1, cm.NDIM)), np.cumprod(onehot, axis=1)], axis=1)
    P = np.concatenate([np.ones((C, 1)), np.cumprod(sizes, axis=1)], axis=1)
    rest = P[:, N][:, None] / P  # product of loops after position e
    valid = np.ones(C, dtype=bool)
    cuts = {op: np.zeros((C, prob.ops[op].n), dtype=int) for op in cm.OP_ORDER}
    start = {op: np.zeros(C, dtype=int) for op in cm.OP_ORDER}
    # O-irrelevant temporal loops still unallocated after position e
    is_oir = cm.IR_MASK["O"][dims] if N else np.zeros((C, 0), bool)
    pos = np.arange(N)[None, :]
    last_oir = np.max(np.where(is_oir, pos + 1, 0), axis=1) if N else np.zeros(C, int)
    e_axis = np.arange(N + 1)[None, :]
    mem_ops: dict[int, list[tuple[str, int]]] = {}
    for op in cm.OP_ORDER:
        for k, idx in enumerate(prob.ops[op].mem_index):
            mem_ops.setdefault(idx, []).append((op, k))
    for idx in sorted(mem_ops):
        mem = prob.acc.memories[idx]
        members = sorted(mem_ops[idx], key=lambda t: mem.operands.index(t[0]))
        cap = None
        bits_l, cost_l, ok_l = [], [], []
        for op, k in members:
            info = prob.ops[op]
            cap = info.sizes_bits[k] if cap is None else max(cap, info.sizes_bits[k])
            tiles = cm.tile_elements(layer, op, cum * info.below_frac[k + 1][None, None, :])
            if op == "O":
                spatial_ir = bool(info.entry_has_ir[k + 1 :].any())
                partial = (last_oir[:, None] > e_axis) | spatial_ir
                p = np.where(partial, layer.precision.psum_bits, layer.precision.output_bits)
            else:
                p = layer.precision.of(op)
            bits = tiles * p
            top = k == info.n - 1
            ok = (e_axis >= start[op][:, None]) & (bits <= info.sizes_bits[k] + 1e-9)
            # prefix-closed from the start: stop at the first overflow
            bad = (e_axis >= start[op][:, None]) & ~ok
            first_bad = np.where(bad.any(axis=1), np.argmax(bad, axis=1), N + 1)
            ok = ok & (e_axis < first_bad[:, None])
            if top:
                ok = ok & (e_axis == N)
            cost = np.zeros_like(bits) if top else bits * rest
            bits_l.append(bits)
            cost_l.append(cost)
            ok_l.append(ok)
        # operands whose option is forced (top level) take no grid axis; the others get an
        # axis over the positions from the smallest start to N
        free = [j for j, (op, k) in enumerate(members) if k != prob.ops[op].n - 1]
        lo = min((int(start[members[j][0]].min()) for j in free), default=N)
        width = N + 1 - lo
        forced_bits = np.zeros(C)
        forced_ok = np.ones(C, dtype=bool)
        for j, _ in enumerate(members):
            if j not in free:
                forced_bits = forced_bits + bits_l[j][:, N]
                forced_ok &= ok_l[j][:, N]
        g = len(free)
        shape = (C,) + (width,) * g
        tot_bits = forced_bits.reshape((C,) + (1,) * g)
        tot_cost = np.zeros((C,) + (1,) * g)
        feas = forced_ok.reshape((C,) + (1,) * g)
        for axis, j in enumerate(free):
            sh = [C] + [1] * g
            sh[axis + 1] = width
            tot_bits = tot_bits + bits_l[j][:, lo:].reshape(sh)
            tot_cost = tot_cost + cost_l[j][:, lo:].reshape(sh)
            feas = feas & ok_l[j][:, lo:].reshape(sh)
        feas = np.broadcast_to(feas & (tot_bits <= cap + 1e-9), shape)
        flat_cost = np.where(feas, tot_cost, np.inf).reshape(C, -1)
        # ties go to the later combination: argmin over the reversed flat index
        rev = flat_cost[:, ::-1]
        choice = flat_cost.shape[1] - 1 - np.argmin(rev, axis=1)
        has = np.isfinite(flat_cost[ar, choice])
        valid &= has
        idxs = np.unravel_index(choice, (width,) * g) if g else ()
        for j, (op, k) in enumerate(members):
            e = np.where(has, idxs[free.index(j)] + lo, N) if j in free else np.full(C, N)
            cuts[op][:, k] = e
            start[op] = e
    return cuts, valid


# --------------------------------------------------------------------------- search
@dataclass
class Choice:
    """The best mapping found for one layer, with its costs."""

    spatial: SpatialMapping
    size_scale: dict[str, float]
    levels: dict[str, tuple[str, ...]]  # memory names per operand, bottom-up
    dims: np.ndarray  # (1, N)
    sizes: np.ndarray
    cuts: dict[str, np.ndarray]
    costs: cm.Costs
    n_candidates: int
    array_energy_pj: float
    cycles_per_op: float
    active_units: float  # product of the (fractional) spatial unrollings


def objective_value(costs: cm.Costs, objective: str) -> np.ndarray:
    """Scalar objective per candidate: EDP = latency_total2 × energy (cycles × pJ, §9.4)."""
    if objective == "edp":
        return costs.latency_total2 * costs.energy_pj
    if objective == "energy":
        return costs.energy_pj + 1e-12 * costs.latency_total2
    if objective == "latency":
        return costs.latency_total2 + 1e-12 * costs.energy_pj
    raise ValueError(objective)


def _objective_bound(energy: float, cycles: float, objective: str) -> float:
    """Lower bound of the objective over all temporal mappings of a spatial candidate.

    Energy >= array energy (memory energy >= 0) and latency >= ideal temporal cycles
    (stalls and on/off-loading >= 0), cost.py; the same tie-break terms as objective_value.
    """
    if objective == "edp":
        return energy * cycles
    if objective == "energy":
        return energy + 1e-12 * cycles
    return cycles + 1e-12 * energy


class TemporalBest(NamedTuple):
    """The best loop nest of one spatial candidate (arrays of one row)."""

    objective: float  # objective_value of the nest (EDP in cycles × pJ, or energy/latency)
    dims: np.ndarray  # (1, N) LOOP_DIMS index per loop, innermost first
    sizes: np.ndarray  # (1, N) loop sizes
    cuts: dict[str, np.ndarray]  # per operand (1, n_levels): end index of each memory level
    n_valid: int  # orderings that fit the memories (searched)
    costs: cm.Costs  # the nest's costs, with breakdowns


def search_temporal(prob: cm.Problem, objective: str) -> TemporalBest | None:
    """Best ordering for one spatial mapping, or None when no ordering fits."""
    if prob.preset.lpf_single_merge_order:
        dims, sizes = orderings(loop_prime_factors(prob.temporal))
    else:
        parts = [orderings(v) for v in lpf_variants(prob.temporal)]
        dims = np.concatenate([d for d, _ in parts])
        sizes = np.concatenate([z for _, z in parts])
    cuts, valid = allocate(prob, dims, sizes)
    if not valid.any():
        return None
    dims, sizes = dims[valid], sizes[valid]
    cuts = {op: c[valid] for op, c in cuts.items()}
    costs = cm.evaluate(prob, dims, sizes, cuts, detail=True)
    obj = objective_value(costs, objective)
    i = int(np.argmin(obj))
    one = {op: c[i : i + 1] for op, c in cuts.items()}
    return TemporalBest(
        float(obj[i]), dims[i : i + 1], sizes[i : i + 1], one, int(valid.sum()), costs.pick(i)
    )


def best_mapping(
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
) -> Choice | None:
    """Search spatial candidates × temporal orderings; None if nothing fits.

    ``config`` sets the candidate generation; ``cache`` (optional) keeps the spatial
    candidates for the next layer of the same shape on a similar accelerator.
    """
    if spatial is not None:
        cands = [(spatial, user_diagonal_scale(layer, acc, spatial))]
    else:
        cands = spatial_candidates(layer, acc, hint, preset, config, cache)
    best: tuple[TemporalBest, SpatialMapping, dict[str, float], cm.Problem] | None = None
    prune = spatial is None and not preset.spatial_top_two_per_dim
    items = []
    for sm, scale in cands:
        frac, integer = sm.converted(layer, acc.dim_sizes)
        bound = 0.0
        if prune:
            energy, cycles = cm.array_energy_and_ideal_cycles(layer, acc, frac, preset)
            bound = _objective_bound(energy, cycles, objective)
        items.append((bound, sm, scale, frac, integer))
    if prune:
        # every legal candidate is kept (corrected): visit them by a lower bound of the
        # objective and stop at the first whose bound cannot beat the best found
        items.sort(key=lambda it: it[0])
    for bound, sm, scale, frac, integer in items:
        if prune and best is not None and bound >= best[0].objective:
            break
        prob = cm.build_problem(layer, acc, frac, integer, preset, n_levels, scale)
        res = search_temporal(prob, objective)
        if res is None:
            # a level too small for the spatial tile is bypassed by that operand
            skip = cm.too_small_levels(prob)
            if skip:
                prob = cm.build_problem(layer, acc, frac, integer, preset, n_levels, scale, skip)
                res = search_temporal(prob, objective)
        if res is None:
            continue
        if best is None or res.objective < best[0].objective:
            best = (res, sm, scale, prob)
    if best is None:
        return None
    res, sm, scale, prob = best
    levels = {op: tuple(m.name for m in prob.ops[op].levels) for op in cm.OP_ORDER}
    return Choice(
        sm, scale, levels, res.dims, res.sizes, res.cuts, res.costs, res.n_valid,
        prob.array_energy_pj, prob.cycles_per_op, prob.active_units,
    )  # fmt: skip


def temporal_mapping_of(choice: Choice) -> TemporalMapping:
    """The chosen loop nest as a TemporalMapping (memory names per operand level)."""
    inv = {v: k for k, v in DIM_INDEX.items()}
    loops = tuple(
        (inv[int(d)], int(s)) for d, s in zip(choice.dims[0], choice.sizes[0], strict=False)
    )
    levels = tuple((op, choice.levels[op]) for op in cm.OP_ORDER)
    cuts = tuple((op, tuple(int(x) for x in choice.cuts[op][0])) for op in cm.OP_ORDER)
    return TemporalMapping(loops, levels, cuts)
