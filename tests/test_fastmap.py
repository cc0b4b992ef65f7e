"""The fast mapper returns the exhaustive search's optimum, and every piece it relies on.

* fast == exhaustive per layer on seeded random (layer, design, objective) triples of the
  tinyml study's space, plus chosen 4-bit, non-square and multi-macro IMC designs;
* each lower bound is <= the exhaustive optimum of its spatial candidate (property test);
* the compiled cost model gives the numpy model's numbers nest by nest (allocation, energy,
  latency, words);
* the array generator gives mapper.spatial_candidates' list (set, order, conversion); the
  rewritten shared pieces (mixed unrollings, diagonal rule, LPF variants) match the original
  enumerations, kept here as oracles.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonspot.cost import model as cm
from carbonspot.design import build_accelerator
from carbonspot.errors import InputError
from carbonspot.evaluate import default_hint, layer_graph, memory_tops
from carbonspot.mapper import _kernel as kn
from carbonspot.mapper import exhaustive as mp
from carbonspot.mapper import fast as fastmap
from carbonspot.mapper.config import DEFAULT_CONFIG
from carbonspot.mapping.model import SpatialMapping
from carbonspot.presets import get_preset
from carbonspot.search.files.study_file import load_study_file
from carbonspot.workload import zoo
from carbonspot.workload.model import LOOP_DIMS

REPO = Path(__file__).resolve().parents[1]
CORR = get_preset("corrected")
ORIG = get_preset("carbonspot2025")
NETS = {n: zoo.load_workload(n) for n in ("ae", "ds_cnn", "mobilenet_v1", "resnet8")}
SPACE = load_study_file(REPO / "studies" / "tinyml.yaml").space


def _objective(costs: cm.Costs, objective: str) -> float:
    return float(mp.objective_value(costs, objective)[0])


def _layer_case(template, params, net, index, preset=CORR):
    wl = NETS[net]
    acc = build_accelerator(template, params, preset.name, wl)
    layers = list(wl.compute_layers)
    tops = memory_tops(acc, layers, layer_graph(wl))
    return acc, layers[index], tops[index]


def _random_designs(seed: int):
    """Designs of the tinyml study's space: template, then every active variable, uniform."""
    rng = random.Random(seed)
    tv = SPACE.variable("template")
    while True:
        template = rng.choice(tv.values)
        params = {
            v.name: rng.choice(v.values)
            for v in SPACE.variables
            if v.name != "template" and v.active(template)
        }
        objective = params.pop("objective")
        yield template, params, objective, rng


def _triples(n: int, max_candidates: int, seed: int = 2026):
    out = []
    for template, params, objective, rng in _random_designs(seed):
        net = rng.choice(sorted(NETS))
        try:
            acc = build_accelerator(template, params, "corrected", NETS[net])
        except InputError:
            continue
        index = rng.randrange(len(list(NETS[net].compute_layers)))
        layer = list(NETS[net].compute_layers)[index]
        n_cand = len(fastmap.all_candidates(layer, acc, default_hint(acc), CORR).scale)
        if n_cand > max_candidates:
            continue
        out.append((template, params, net, index, objective))
        if len(out) == n:
            return out
    raise AssertionError("unreachable")


# 4-bit, non-square arrays, multi-macro IMC: the designs the issue names, on chosen layers
CHOSEN = [
    ("pdigital_ws", dict(d1=64, d2=16, sram_bytes=131072, input_bits=4, weight_bits=4, node_nm=7),
     "resnet8", 9, "energy"),
    ("pdigital_ws", dict(d1=64, d2=16, sram_bytes=131072, input_bits=4, weight_bits=4, node_nm=7),
     "resnet8", 5, "energy"),
    ("aimc", dict(d1=32, d2=8, macros=2, sram_bytes=16384, input_bits=4, weight_bits=4,
                  adc_bits=4, node_nm=28), "ds_cnn", 1, "latency"),
    ("aimc", dict(d1=64, d2=8, macros=3, sram_bytes=262144, input_bits=8, weight_bits=8,
                  adc_bits=5, node_nm=7), "ds_cnn", 0, "edp"),
    ("dimc", dict(d1=16, d2=128, macros=2, sram_bytes=65536, input_bits=4, weight_bits=4,
                  node_nm=14), "mobilenet_v1", 2, "edp"),
    ("dimc", dict(d1=8, d2=32, macros=4, sram_bytes=32768, input_bits=4, weight_bits=8,
                  node_nm=22), "ae", 0, "latency"),
    ("pdigital_os", dict(d1=8, d2=32, sram_bytes=16384, input_bits=4, weight_bits=8,
                         node_nm=22), "mobilenet_v1", 2, "energy"),
    ("pdigital_os", dict(d1=32, d2=8, sram_bytes=32768, input_bits=4, weight_bits=4,
                         node_nm=22), "mobilenet_v1", 1, "latency"),
]  # fmt: skip
RANDOM = _triples(30, max_candidates=400)


@pytest.mark.parametrize("template,params,net,index,objective", CHOSEN + RANDOM)
def test_fast_returns_the_exhaustive_optimum(template, params, net, index, objective):
    acc, layer, top = _layer_case(template, params, net, index)
    hint = default_hint(acc)
    fast = fastmap.best_mapping_fast(layer, acc, CORR, objective, top, hint)
    full = mp.best_mapping(layer, acc, CORR, objective, n_levels=top, hint=hint)
    assert (fast is None) == (full is None)
    if fast is None:
        return
    vf, ve = _objective(fast.costs, objective), _objective(full.costs, objective)
    assert vf <= ve * (1 + 1e-9)
    assert ve <= vf * (1 + 1e-9)  # and it is a mapping the exhaustive search would cost so
    # the reported mapping costs what the fast mapper says, in the numpy model
    costs = _numpy_costs(layer, acc, fast, top)
    assert _objective(costs, objective) == pytest.approx(vf, rel=1e-12)


def _numpy_costs(layer, acc, choice, top):
    """The fast mapper's chosen nest costed by the numpy model (cost.evaluate)."""
    frac, integer = choice.spatial.converted(layer, acc.dim_sizes)
    prob = cm.build_problem(layer, acc, frac, integer, CORR, top, choice.size_scale)
    if any(prob.ops[op].n != len(choice.levels[op]) for op in cm.OP_ORDER):
        skip = {
            op: frozenset(m.name for m in prob.ops[op].levels) - set(choice.levels[op])
            for op in cm.OP_ORDER
        }
        prob = cm.build_problem(layer, acc, frac, integer, CORR, top, choice.size_scale, skip)
    return cm.evaluate(prob, choice.dims, choice.sizes, choice.cuts)


@pytest.mark.parametrize("net", ["ds_cnn", "resnet8"])
@pytest.mark.parametrize("objective", ["edp", "latency"])
def test_narrow_search_reproduces_the_originals_choice(net, objective):
    """carbonspot2025: the same candidates in the same order, so the same mapping too."""
    for template, params in (("dimc", {"dim": 32}), ("pdigital_ws", {"dim": 16})):
        wl = NETS[net]
        acc = build_accelerator(template, params, "carbonspot2025", wl)
        layers = list(wl.compute_layers)
        tops = memory_tops(acc, layers, layer_graph(wl))
        for layer, top in list(zip(layers, tops, strict=True))[:4]:
            hint = default_hint(acc)
            fast = fastmap.best_mapping_fast(layer, acc, ORIG, objective, top, hint)
            full = mp.best_mapping(layer, acc, ORIG, objective, n_levels=top, hint=hint)
            assert fast.spatial == full.spatial
            assert _objective(fast.costs, objective) == pytest.approx(
                _objective(full.costs, objective), rel=1e-12
            )


# --------------------------------------------------------------------------------------------
# lower bounds


def _candidate_optimum(layer, acc, top, sm, scale, objective):
    """The exhaustive optimum of one spatial candidate (full hierarchy, else bypass)."""
    frac, integer = sm.converted(layer, acc.dim_sizes)
    prob = cm.build_problem(layer, acc, frac, integer, CORR, top, scale)
    res = mp.search_temporal(prob, objective)
    skip = None
    if res is None:
        skip = cm.too_small_levels(prob)
        if skip:
            prob = cm.build_problem(layer, acc, frac, integer, CORR, top, scale, skip)
            res = mp.search_temporal(prob, objective)
    return (None, None) if res is None else (res.objective, skip)


def _kernel_state(layer, acc, top, cands, c, skip):
    """The kernel's per-candidate state: info under the bypass ``skip``, work arrays, flags."""
    tab = fastmap.acc_tables(acc)
    lc = fastmap.layer_constants(layer)
    n_keep = np.array([top[o] for o in "OWI"], np.int64)
    fl = np.zeros(kn.FL_SIZE, np.bool_)
    fl[kn.FL_IMC] = acc.is_imc
    info, wk, tb, bt = kn.new_search_work()
    mask = np.zeros((3, len(acc.memories)), np.bool_)
    for op, names in (skip or {}).items():
        for name in names:
            mask[fastmap.OP_INDEX[op], tab.mem_names.index(name)] = True
    acc_t = (
        tab.mem_has, tab.mem_order, tab.mem_served, tab.mem_size, tab.mem_rcost, tab.mem_wcost,
        tab.port_bw, tab.port_bwmin, tab.port_key, tab.diag_mem,
    )  # fmt: skip
    kn._candidate_info(cands.frac, cands.intu, cands.scale, c, n_keep, mask, acc_t, lc, info)
    consts = np.zeros(5)
    consts[:4] = fastmap._consts(layer, acc, cands, CORR)[c]
    T = fastmap.temporal_sizes(layer, cands.frac)[c]
    cap = 256
    pool = (
        np.zeros((cap, kn.MAXN), np.int64), np.ones((cap, kn.MAXN)),
        np.zeros((cap, kn.MAXN), np.int64), np.zeros(cap, np.int64),
    )  # fmt: skip
    n_var = kn.lpf_variants(T, False, pool[0], pool[1], pool[2], pool[3], 0, cap)
    return info, wk, tb, bt, lc, fl, consts, T, pool, n_var


def _bounds(layer, acc, top, cands, c, skip, objective):
    """The kernel's cheap and refined bounds of candidate c under the structure used."""
    info, _, tb, bt, lc, fl, cs, T, pool, w = _kernel_state(layer, acc, top, cands, c, skip)
    out = np.empty(8)
    code = fastmap.OBJ_CODE[objective]
    cheap = kn.bound(info, T, lc, fl, cs, code, out)
    base = np.array([out[2] + out[4], max(out[3], out[5]), 0.0])
    refined = kn.bound_refined(
        0, w, pool[0], pool[1], pool[2], pool[3][0], info, lc, fl, cs, code, T, tb, bt, base, out
    )
    return cheap, refined


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(seed=st.integers(0, 10**6), pick=st.integers(0, 10**6))
def test_bounds_are_below_each_candidates_optimum(seed, pick):
    template, params, objective, rng = next(_random_designs(seed))
    net = rng.choice(sorted(NETS))
    try:
        acc = build_accelerator(template, params, "corrected", NETS[net])
    except InputError:
        return
    layers = list(NETS[net].compute_layers)
    index = rng.randrange(len(layers))
    layer = layers[index]
    top = memory_tops(acc, layers, layer_graph(NETS[net]))[index]
    cands = fastmap.all_candidates(layer, acc, default_hint(acc), CORR)
    c = pick % len(cands.scale)
    sm, scale = cands.mapping(c)
    value, skip = _candidate_optimum(layer, acc, top, sm, scale, objective)
    if value is None:
        return
    cheap, refined = _bounds(layer, acc, top, cands, c, skip, objective)
    assert cheap <= value
    assert refined <= value


def test_refined_bound_is_tight_where_the_search_needs_it():
    """On a latency plateau (equal ideal cycles) the refined bound reaches the optimum."""
    acc, layer, top = _layer_case(
        "aimc", dict(d1=32, d2=8, macros=2, sram_bytes=16384, input_bits=4, weight_bits=4,
                     adc_bits=4, node_nm=28), "resnet8", 0,
    )  # fmt: skip
    cands = fastmap.all_candidates(layer, acc, default_hint(acc), CORR)
    sm = SpatialMapping.from_dict({"D1": [("K", 16.0), ("OY", 2.0)], "D2": [("C", 3.0)],
                                   "D3": [("OY", 2.0)]})  # fmt: skip
    c = next(i for i in range(len(cands.scale)) if cands.mapping(i)[0] == sm)
    value, skip = _candidate_optimum(layer, acc, top, sm, cands.mapping(c)[1], "latency")
    cheap, refined = _bounds(layer, acc, top, cands, c, skip, "latency")
    assert cheap < 0.99 * value  # the cheap bound only knows the ideal cycles
    assert refined == pytest.approx(value, rel=1e-9)


# --------------------------------------------------------------------------------------------
# the compiled cost model is the numpy model


def _kernel_nests(layer, acc, top, sm, scale, skip, variant):
    """The kernel's state for one candidate and one of its LPF variants (tables built)."""
    cands = fastmap.candidates_from_list(layer, acc, [(sm, scale)])
    info, wk, tb, _, lc, fl, consts, _, pool, w = _kernel_state(layer, acc, top, cands, 0, skip)
    v = variant % w
    N = int(pool[3][v])
    kn.build_tables(v, pool[0], pool[1], pool[2], N, info, lc, tb)
    return info, wk, tb, pool, v, N, lc, fl, consts[:4]


@pytest.mark.parametrize(
    "template,params,net,index",
    [
        ("pdigital_ws", dict(d1=64, d2=16, sram_bytes=131072, input_bits=4, weight_bits=4),
         "resnet8", 1),
        ("pdigital_os", dict(d1=8, d2=32, sram_bytes=16384, input_bits=4, weight_bits=8),
         "mobilenet_v1", 2),
        ("dimc", dict(d1=16, d2=128, macros=2, sram_bytes=65536), "mobilenet_v1", 3),
        ("aimc", dict(d1=32, d2=8, macros=2, sram_bytes=16384, input_bits=4, weight_bits=4),
         "resnet8", 0),
        ("aimc", dict(d1=64, d2=8, macros=3, sram_bytes=262144), "ds_cnn", 1),
    ],
)  # fmt: skip
def test_compiled_cost_model_matches_numpy(template, params, net, index):
    acc, layer, top = _layer_case(template, params, net, index)
    cands = mp.spatial_candidates(layer, acc, default_hint(acc), CORR)
    rng = random.Random(index)
    checked = 0
    for sm, scale in rng.sample(cands, min(4, len(cands))):
        frac, integer = sm.converted(layer, acc.dim_sizes)
        prob = cm.build_problem(layer, acc, frac, integer, CORR, top, scale)
        skip = cm.too_small_levels(prob)
        if skip:
            prob = cm.build_problem(layer, acc, frac, integer, CORR, top, scale, skip)
        info, wk, tb, pool, v, N, lc, fl, consts = _kernel_nests(
            layer, acc, top, sm, scale, skip, rng.randrange(8)
        )
        lpfs = [(LOOP_DIMS[int(pool[0][v, lab])], int(pool[1][v, lab])) for lab in pool[2][v, :N]]
        dims, sizes = mp.orderings(lpfs)
        cuts, valid = mp.allocate(prob, dims, sizes)
        stride, P_c = tb[1], tb[3]
        label = {
            (int(pool[0][v, q]), float(pool[1][v, q])): q for q in range(pool[2][v, N - 1] + 1)
        }
        for i in rng.sample(range(len(dims)), min(40, len(dims))):
            codes = np.zeros(N + 1, np.int64)
            P = np.ones(N + 1)
            for e in range(N):
                codes[e + 1] = codes[e] + stride[label[(int(dims[i, e]), float(sizes[i, e]))]]
                P[e + 1] = P_c[codes[e + 1]]
            kcuts = np.zeros((3, kn.MAXL), np.int64)
            aw = kn.new_alloc_work()
            bits_w, cost_w = np.empty((3, N + 1)), np.empty((3, N + 1))
            ok = kn.allocate(dims[i].astype(np.int64), N, codes, P, info, tb, lc, kcuts, bits_w,
                             cost_w, aw)  # fmt: skip
            assert ok == bool(valid[i])
            if not ok:
                continue
            for op, o in fastmap.OP_INDEX.items():
                assert list(kcuts[o, : prob.ops[op].n]) == list(cuts[op][i])
            detail = np.zeros(8 + kn.MAXA)
            cs = np.zeros(5)
            cs[:4] = consts
            kn.evaluate(dims[i].astype(np.int64), N, codes, P, kcuts, info, tb, lc, fl, cs, 0,
                        np.inf, False, 0, wk, detail)  # fmt: skip
            ref = cm.evaluate(prob, dims[i : i + 1], sizes[i : i + 1],
                              {op: c[i : i + 1] for op, c in cuts.items()}, detail=True)  # fmt: skip
            for j, field in enumerate(("energy_pj", "mem_energy_pj", "latency_total0",
                                       "latency_total2", "ideal_temporal", "stall", "onload",
                                       "offload")):  # fmt: skip
                assert detail[j] == pytest.approx(float(getattr(ref, field)[0]), rel=1e-12)
            checked += 1
    assert checked > 0


# --------------------------------------------------------------------------------------------
# shared candidate code: same lists as the original enumerations


def test_array_candidates_are_the_spatial_candidates():
    for template, params, objective, rng in itertools.islice(_random_designs(7), 40):
        del objective
        net = rng.choice(sorted(NETS))
        try:
            acc = build_accelerator(template, params, "corrected", NETS[net])
        except InputError:
            continue
        layer = rng.choice(list(NETS[net].compute_layers))
        ref = mp.spatial_candidates(layer, acc, default_hint(acc), CORR)
        if len(ref) > 5000:
            continue
        arr = fastmap.all_candidates(layer, acc, default_hint(acc), CORR)
        listed = fastmap.candidates_from_list(layer, acc, ref)
        firsts, seen = [], set()
        for c in range(len(arr.scale)):  # the list drops later copies of a (mapping, scale)
            sm, sc = arr.mapping(c)
            key = (sm, tuple(sorted(sc.items())))
            if key not in seen:
                seen.add(key)
                firsts.append(c)
        assert len(firsts) == len(ref)
        for i, c in enumerate(firsts):
            assert arr.mapping(c)[0] == ref[i][0]
            assert np.array_equal(arr.frac[c], listed.frac[i])
            assert np.array_equal(arr.intu[c], listed.intu[i])
            assert np.array_equal(arr.present[c], listed.present[i])
            assert arr.scale[c] == listed.scale[i]


def _mixes_by_enumeration(hints, pool, size):
    """The original's mixed unrollings: every combination of prime factors, first seen."""
    cands = []
    for k in range(2, len(hints) + 1):
        for dim_comb in itertools.combinations(hints, k):
            sub = [e for e in pool if e[0] in dim_comb]
            for L in range(2, len(sub) + 1):
                for comb in itertools.combinations(sub, L):
                    if len({e[0] for e in comb}) == 1 or math.prod(e[1] for e in comb) > size:
                        continue
                    merged: dict[str, int] = {}
                    for d, f in comb:
                        merged[d] = merged.get(d, 1) * f
                    res = tuple(merged.items())
                    if res not in cands:
                        cands.append(res)
    return cands


def test_mixed_unrollings_match_the_enumeration():
    rng = random.Random(1)
    for _ in range(1500):
        hints = rng.sample(mp.ZZ_ORDER, rng.choice([2, 3]))
        sizes = {d: rng.choice([1, 2, 3, 4, 6, 8, 9, 12, 16, 24, 32, 7, 10]) for d in mp.ZZ_ORDER}
        single = [d for d in mp.ZZ_ORDER if d in hints and sizes[d] > 1 and rng.random() < 0.9]
        pool = [(d, f) for d in single for f in mp.prime_factors(sizes[d])]
        if len(pool) > DEFAULT_CONFIG.mix_pool_limit:
            continue
        size = rng.choice([2, 3, 4, 8, 12, 16, 32, 64, 128])
        assert mp._combination_mixes(hints, pool, size) == _mixes_by_enumeration(hints, pool, size)


def _diagonal_by_enumeration(rule, key):
    """The original diagonal rule, enumerating every combination of the targets' factors."""
    exist_act, w_r_items, ir_size = key
    w_r = dict(w_r_items)
    if 2 * exist_act > rule.a_size:
        return ()
    pools = {d: [(d, float(f)) for f in fs] for d, fs in rule.pools}
    best, best_size, ties = [], 0.0, []
    for k in range(1, len(rule.targets) + 1):
        for dim_comb in itertools.combinations(rule.targets, k):
            pool = [e for d in dim_comb for e in pools[d]]
            for L in range(1, len(pool) + 1):
                for comb in itertools.combinations(pool, L):
                    cm_ = {d: 1.0 for d in dim_comb}
                    for d, s in comb:
                        cm_[d] *= s
                    csize = math.prod(cm_.values())
                    if exist_act * csize > rule.a_size:
                        continue
                    req = ir_size
                    for d, s in cm_.items():
                        req *= w_r[d] + s - 1
                    if len(cm_) == 1:
                        other = [o for o in w_r if o not in cm_]
                        req *= w_r[other[0]] if other else 1
                    if req > rule.o_size:
                        continue
                    if csize > best_size:
                        best = list(cm_.items())
                        ties = [best]
                        if not rule.last_wins:
                            best_size = csize
                    elif csize == best_size and not rule.last_wins:
                        ties.append(list(cm_.items()))
    options: list = []
    for comb in ties if not rule.last_wins else [best]:
        comb = [(d, s) for d, s in comb if s > 1]
        if comb and comb not in options:
            options.append(comb)
    return tuple(tuple(c) for c in options)


def test_diagonal_rule_matches_the_enumeration():
    rng = random.Random(0)
    for _ in range(1500):
        w_ir = tuple(d for d in ("OY", "OX") if rng.random() < 0.9) or ("OX",)
        targets = tuple(d for d in w_ir if rng.random() < 0.85) or w_ir[:1]
        sizes = {d: rng.choice([2, 3, 4, 6, 7, 8, 12, 16, 24, 32, 56, 112]) for d in targets}
        pools = tuple((d, tuple(mp.prime_factors(sizes[d]))) for d in targets)
        for last_wins in (False, True):
            rule = mp.DiagonalRule(
                "D1", "D2", rng.choice([4, 8, 16, 32, 64, 128]),
                rng.choice([2, 4, 8, 16, 32, 64, 128]), w_ir, targets, pools, "reg", last_wins,
            )  # fmt: skip
            key = (
                rng.choice([0, 1, 2, 3, 4, 8, 16]),
                tuple((d, rng.choice([1, 2, 3])) for d in w_ir),
                rng.choice([1, 2, 3, 4, 8, 16]),
            )
            assert mp.diagonal_options(rule, key) == _diagonal_by_enumeration(rule, key)


@pytest.mark.parametrize("single", [False, True])
def test_compiled_lpf_variants_match_the_mapper(single):
    rng = random.Random(3)
    cap = 512
    arrs = (
        np.zeros((cap, kn.MAXN), np.int64), np.zeros((cap, kn.MAXN)),
        np.zeros((cap, kn.MAXN), np.int64), np.zeros(cap, np.int64),
    )  # fmt: skip
    for _ in range(1500):
        T = np.ones(8)
        for d in range(8):
            if rng.random() < 0.55:
                T[d] = rng.choice([2, 3, 4, 6, 8, 9, 12, 16, 24, 32, 64, 5, 7, 27, 128, 49])
        temporal = {d: int(v) for d, v in zip(LOOP_DIMS, T, strict=True) if v > 1}
        ref = [mp.loop_prime_factors(temporal)] if single else mp.lpf_variants(temporal)
        w = kn.lpf_variants(T, single, *arrs, 0, cap)
        got = []
        for r in range(w):
            n = int(arrs[3][r])
            got.append(
                [(LOOP_DIMS[int(arrs[0][r, lab])], int(arrs[1][r, lab])) for lab in arrs[2][r, :n]]
            )
        assert got == ref


def test_square_layers_search_one_of_each_mirrored_pair():
    acc, layer, top = _layer_case(
        "pdigital_ws", dict(d1=64, d2=16, sram_bytes=131072, input_bits=4, weight_bits=4),
        "resnet8", 1,
    )  # fmt: skip
    assert fastmap.mirror_symmetric(layer)
    cands = fastmap.all_candidates(layer, acc, default_hint(acc), CORR)
    kept = fastmap._representatives(layer, cands, np.arange(len(cands.scale)))
    assert len(kept) < 0.6 * len(cands.scale)
    # a non-square layer (ds_cnn's 10x4 first conv) keeps every distinct candidate
    acc2, layer2, _ = _layer_case("pdigital_ws", {"dim": 32}, "ds_cnn", 0)
    assert not fastmap.mirror_symmetric(layer2)
