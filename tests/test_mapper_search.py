"""The corrected mapper's search space: every legal spatial candidate and every LPF merge LOMA
can produce (issue 4: a temporal search at least as good as LOMA's, an objective no worse than
ZigZag's)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from test_cost import _tiny_array_acc

from carbonspot.cost import model as cm
from carbonspot.hardware.templates import build_template
from carbonspot.mapper import exhaustive as mapper
from carbonspot.mapping.model import DIM_INDEX, SpatialMapping
from carbonspot.presets import get_preset
from carbonspot.workload.model import Layer

ORIG = get_preset("carbonspot2025")
CORR = get_preset("corrected")


def _loma_merge(temporal: dict[str, int], dim_order: tuple[str, ...], limit: int = 6):
    """LOMA's limit_lpfs for one loop-dimension order (zigzag-model.md §6.2), as a multiset:
    merge the two smallest factors of the first dim (in ``dim_order``) with the most factors."""
    facs = {d: sorted(mapper.prime_factors(temporal[d])) for d in dim_order if d in temporal}
    limit = max(limit, len(facs))
    while sum(map(len, facs.values())) > limit:
        most = max(len(v) for v in facs.values())
        d = next(d for d in dim_order if d in facs and len(facs[d]) == most)
        f = facs[d]
        facs[d] = sorted([f[0] * f[1], *f[2:]])
    return sorted((d, x) for d, v in facs.items() for x in v)


@pytest.mark.parametrize(
    "temporal",
    [
        {"K": 2, "C": 8, "OY": 56, "OX": 56, "FY": 3},  # resnet18 layer1.0.conv1, K32/C8·FX3
        {"K": 4, "C": 2, "OY": 28, "OX": 28, "FY": 3, "FX": 3},
        {"K": 16, "C": 64, "OY": 7, "OX": 7},
        {"OX": 112, "K": 64},
    ],
)
def test_lpf_variants_contain_loomas_merge_for_every_dim_order(temporal):
    variants = [sorted(v) for v in mapper.lpf_variants(temporal)]
    for order in itertools.permutations(temporal):
        assert _loma_merge(temporal, order) in variants
    for v in variants:  # each variant is an exact factorisation within the limit
        assert len(v) <= max(mapper.LPF_LIMIT, len(temporal))
        for d, size in temporal.items():
            assert math.prod(f for x, f in v if x == d) == size
    # the original's single merge (ONNX loop order) is one of them
    assert sorted(mapper.loop_prime_factors(temporal)) in variants


def test_lpf_variants_include_zigzags_choice_on_resnet18_layer1():
    # ZigZag 3.9.1 (loop_dims B K C OY OX FY FX) chose OX 8·7, OY 56, C 8 here; the original
    # ONNX order merges to OX 56, OY 56, C 2·4 and cannot express ZigZag's nest
    temporal = {"K": 2, "C": 8, "OY": 56, "OX": 56, "FY": 3}
    zz = sorted([("K", 2), ("C", 8), ("OY", 56), ("OX", 8), ("OX", 7), ("FY", 3)])
    assert zz in [sorted(v) for v in mapper.lpf_variants(temporal)]
    assert sorted(mapper.loop_prime_factors(temporal)) != zz


def _exhaustive(prob: cm.Problem, lpf_sets) -> float:
    """Best EDP over every ordering of every LPF set, allocated by LOMA's allocator."""
    best = math.inf
    for lpfs in lpf_sets:
        dims, sizes = mapper.orderings(lpfs)
        cuts, valid = mapper.allocate(prob, dims, sizes)
        if not valid.any():
            continue
        c = cm.evaluate(prob, dims[valid], sizes[valid], {op: v[valid] for op, v in cuts.items()})
        best = min(best, float(mapper.objective_value(c, "edp").min()))
    return best


@pytest.mark.parametrize(
    "loops",
    [
        {"K": 8, "C": 6, "OY": 4, "OX": 4, "FY": 3, "FX": 3},
        {"K": 12, "C": 4, "OY": 6, "OX": 2},
    ],
)
def test_corrected_optimum_beats_every_spatial_candidate(loops):
    layer = Layer("l", "Conv", loops, padding=(1, 1, 1, 1) if "FX" in loops else (0, 0, 0, 0))
    acc = _tiny_array_acc()
    wide = mapper.spatial_candidates(layer, acc, None, CORR)
    top_two = mapper.spatial_candidates(layer, acc, None, ORIG)
    # corrected keeps every legal candidate, a superset of the original's two per array dim
    assert len(wide) > len(top_two)
    assert {sm for sm, _ in top_two} <= {sm for sm, _ in wide}
    choice = mapper.best_mapping(layer, acc, CORR, "edp")
    ours = float(mapper.objective_value(choice.costs, "edp")[0])
    for sm, scale in wide + top_two:
        frac, integer = sm.converted(layer, acc.dim_sizes)
        prob = cm.build_problem(layer, acc, frac, integer, CORR, None, scale)
        ref = _exhaustive(prob, mapper.lpf_variants(prob.temporal))
        # the pruning bound is a true lower bound, and the optimum beats every candidate
        energy, cycles = cm.array_energy_and_ideal_cycles(layer, acc, frac, CORR)
        assert energy == prob.array_energy_pj
        assert mapper._objective_bound(energy, cycles, "edp") <= ref * (1 + 1e-12)
        assert ours <= ref * (1 + 1e-12)


def test_resnet18_layer_no_worse_than_zigzags_mapping_in_our_model():
    # bench_mapper.py, pdigital_ws dim 32, corrected: ZigZag 3.9.1 chose D1 K32, D2 FX3·C8 and
    # the nest below (innermost first; W leaves reg_W after OX8·OY56); before the fix our
    # search (top-two spatial candidates, one LPF merge) found an EDP 2.07x worse than it
    layer = Layer(
        "layer1.0.conv1",
        "Conv",
        {"K": 64, "C": 64, "OY": 56, "OX": 56, "FY": 3, "FX": 3},
        padding=(1, 1, 1, 1),
    )
    acc = build_template(
        "pdigital_ws", {"dim": 32, "sram_bytes": 131072, "dram_gb": 1.0}, "corrected", None
    )
    sm = SpatialMapping.from_dict({"D1": [("K", 32)], "D2": [("FX", 3), ("C", 8)]})
    frac, integer = sm.converted(layer, acc.dim_sizes)
    prob = cm.build_problem(layer, acc, frac, integer, CORR, None, {})
    nest = [("OX", 8), ("OY", 56), ("C", 8), ("K", 2), ("FY", 3), ("OX", 7)]
    dims = np.array([[DIM_INDEX[d] for d, _ in nest]])
    sizes = np.array([[float(s) for _, s in nest]])
    cuts = {"O": np.array([[0, 5, 6]]), "W": np.array([[2, 6]]), "I": np.array([[0, 5, 6]])}
    zz = float(mapper.objective_value(cm.evaluate(prob, dims, sizes, cuts), "edp")[0])
    choice = mapper.best_mapping(layer, acc, CORR, "edp")
    ours = float(mapper.objective_value(choice.costs, "edp")[0])
    assert ours <= zz * (1 + 1e-9)
    # the same model with the original's narrower search (the two mapper flags on)
    narrow = replace(CORR, spatial_top_two_per_dim=True, lpf_single_merge_order=True)
    orig = mapper.best_mapping(layer, acc, narrow, "edp")
    assert float(mapper.objective_value(orig.costs, "edp")[0]) > 1.5 * zz
