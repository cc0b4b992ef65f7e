"""Mapper: LOMA-equivalence, LPFs, spatial generation, workload API, user mappings."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from test_cost import _tiny_array_acc

from carbonspot.cost import model as cm
from carbonspot.errors import InputError
from carbonspot.evaluate import evaluate_layer, evaluate_workload, memory_tops
from carbonspot.hardware.readers import load_accelerator
from carbonspot.mapper import exhaustive as mapper
from carbonspot.mapping.model import DIM_INDEX, SpatialMapping
from carbonspot.mapping.readers.yaml import load_mapping
from carbonspot.presets import get_preset
from carbonspot.workload.model import LOOP_DIMS, Layer, Workload

ORIG = get_preset("carbonspot2025")
CORR = get_preset("corrected")


def _scalar_allocate(prob: cm.Problem, order: list[tuple[str, int]]):
    """Independent, one-ordering LOMA allocator (zigzag-model.md §6.3), for cross-checking."""
    layer, acc = prob.layer, prob.acc
    n = len(order)
    cuts = {op: [] for op in cm.OP_ORDER}
    start = {op: 0 for op in cm.OP_ORDER}
    for idx, mem in enumerate(acc.memories):
        members = [
            (op, prob.ops[op].mem_index.index(idx))
            for op in mem.operands
            if idx in prob.ops[op].mem_index
        ]
        if not members:
            continue
        options = []
        for op, k in members:
            info = prob.ops[op]
            top = k == info.n - 1
            opts = []
            for e in range(start[op], n + 1):
                tile = dict(zip(LOOP_DIMS, info.below_frac[k + 1], strict=False))
                for d, s in order[:e]:
                    tile[d] *= s
                elems = float(cm.tile_elements(layer, op, np.array([tile[d] for d in LOOP_DIMS])))
                if op == "O":
                    pending = any(d in ("C", "FX", "FY") for d, _ in order[e:])
                    pending |= bool(info.entry_has_ir[k + 1 :].any())
                    bits = elems * (
                        layer.precision.psum_bits if pending else layer.precision.output_bits
                    )
                else:
                    bits = elems * layer.precision.of(op)
                if bits > info.sizes_bits[k] + 1e-9:
                    break
                rest = math.prod(s for _, s in order[e:])
                if top and e != n:
                    continue
                opts.append((e, bits, 0.0 if top else bits * rest))
            options.append(opts)
        cap = max(prob.ops[op].sizes_bits[k] for op, k in members)
        best = None
        for combo in itertools.product(*options):
            if sum(b for _, b, _ in combo) > cap + 1e-9:
                continue
            cost = sum(c for _, _, c in combo)
            if best is None or cost <= best[0]:
                best = (cost, combo)
        if best is None:
            return None
        for (op, _), (e, _, _) in zip(members, best[1], strict=False):
            cuts[op].append(e)
            start[op] = e
    return cuts


@pytest.mark.parametrize(
    "loops",
    [
        {"K": 4, "C": 2, "OY": 4, "OX": 2, "FY": 3, "FX": 3},
        {"K": 12, "C": 6, "OY": 2, "OX": 5},
        {"K": 16, "C": 16},
    ],
)
def test_vectorised_allocator_matches_scalar_loma_and_optimum(loops):
    layer = Layer("l", "Conv", loops, padding=(1, 1, 1, 1) if "FX" in loops else (0, 0, 0, 0))
    acc = _tiny_array_acc()
    for sm, scale in mapper.spatial_candidates(layer, acc, None, ORIG):
        frac, integer = sm.converted(layer, acc.dim_sizes)
        prob = cm.build_problem(layer, acc, frac, integer, ORIG, None, scale)
        lpfs = mapper.loop_prime_factors(prob.temporal)
        dims, sizes = mapper.orderings(lpfs)
        cuts, valid = mapper.allocate(prob, dims, sizes)
        inv = {v: k for k, v in DIM_INDEX.items()}
        objs = []
        for i in range(len(dims)):
            order = [(inv[int(d)], int(s)) for d, s in zip(dims[i], sizes[i], strict=False)]
            ref = _scalar_allocate(prob, order)
            assert (ref is not None) == bool(valid[i])
            if ref is None:
                continue
            for op in cm.OP_ORDER:
                assert list(cuts[op][i]) == ref[op]
            one = {op: np.array([ref[op]]) for op in cm.OP_ORDER}
            c = cm.evaluate(prob, dims[i : i + 1], sizes[i : i + 1], one)
            objs.append(float(mapper.objective_value(c, "edp")[0]))
        best = mapper.search_temporal(prob, "edp")
        # our optimum is the exhaustive optimum over every LOMA ordering
        assert best.objective <= min(objs) * (1 + 1e-12)


def test_lpf_limit_and_unique_orderings():
    lpfs = mapper.loop_prime_factors({"OX": 112, "K": 64})
    assert len(lpfs) <= mapper.LPF_LIMIT
    assert math.prod(f for d, f in lpfs if d == "OX") == 112
    assert math.prod(f for d, f in lpfs if d == "K") == 64
    # all loops kept when there are more distinct dims than the limit (§9.3 step 3)
    many = {d: 2 for d in ("B", "K", "G", "C", "OY", "OX", "FY")}
    assert len(mapper.loop_prime_factors(many)) == 7
    dims, sizes = mapper.orderings([("K", 2), ("K", 2), ("C", 3)])
    assert len(dims) == 3  # 3!/2!
    assert {tuple(r) for r in sizes.tolist()} == {(2, 2, 3), (2, 3, 2), (3, 2, 2)}


def test_spatial_hints_of_the_paper_templates():
    acc = load_accelerator("pdigital_os:dim=32,sram_bytes=131072", ORIG, 1000)
    layer = Layer("c", "Conv", {"K": 64, "C": 16, "OY": 8, "OX": 8, "FY": 3, "FX": 3})
    cands = mapper.spatial_candidates(layer, acc, {"D1": ["K"], "D2": ["OX", "OY"]}, ORIG)
    for sm, _ in cands:
        d = sm.as_dict()
        assert [x for x, _ in d["D1"]] == ["K"] and d["D1"][0][1] == 32
        assert {x for x, _ in d["D2"]} <= {"OX", "OY"}
        assert math.prod(s for _, s in d["D2"]) <= 32
    assert max(math.prod(s for _, s in sm.as_dict()["D2"]) for sm, _ in cands) == 32


def test_fractional_unrolling_has_integer_ceiling_for_latency():
    layer = Layer("fc", "Gemm", {"K": 1000, "C": 8})
    frac, integer = SpatialMapping.from_dict({"D1": [("K", 32)]}).converted(layer, {"D1": 32})
    assert frac["D1"]["K"] == pytest.approx(1000 / 32)  # zigzag-model.md §4.1 example
    assert integer["D1"]["K"] == 32


def test_infeasible_layer_gives_reason_not_exception():
    acc = _tiny_array_acc()
    small = tuple(m for m in acc.memories if m.name != "dram")
    acc = type(acc)("tiny-nodram", acc.array, small)
    big = Layer("huge", "Gemm", {"K": 4096, "C": 4096})
    res = evaluate_layer(big, acc, preset=ORIG)
    assert not res.feasible and "exceeds every memory" in res.reason
    ok = Layer("ok", "Gemm", {"K": 8, "C": 8})
    wres = evaluate_workload(acc, Workload("w", (ok, big)), preset=ORIG)
    assert not wres.feasible and "huge" in wres.reason
    assert wres.layers[0].feasible


def test_workload_breakdowns_sum_and_cache():
    acc = load_accelerator("dimc:dim=32,sram_bytes=131072", ORIG, 100)
    layers = (
        Layer(
            "a", "Conv", {"K": 16, "C": 8, "OY": 8, "OX": 8, "FY": 3, "FX": 3}, padding=(1, 1, 1, 1)
        ),
        Layer("b", "Gemm", {"K": 10, "C": 64}),
        Layer(
            "a2",
            "Conv",
            {"K": 16, "C": 8, "OY": 8, "OX": 8, "FY": 3, "FX": 3},
            padding=(1, 1, 1, 1),
        ),
    )
    r = evaluate_workload(acc, Workload("w", layers), preset=ORIG)
    assert r.feasible
    assert sum(r.energy_breakdown_pj.values()) == pytest.approx(r.energy_pj)
    assert sum(r.latency_breakdown_cycles.values()) == pytest.approx(r.latency_cycles)
    assert all(k == "array" or k.startswith("mem:") for k in r.energy_breakdown_pj)
    assert r.layers[0].energy_pj == r.layers[2].energy_pj  # same shape, cached
    assert r.layers[2].layer == "a2"
    assert r.tops_per_w == pytest.approx(r.ops / r.energy_pj)
    assert r.layers[0].temporal_mapping and r.layers[0].spatial_mapping
    tops = memory_tops(acc, list(layers))
    assert all(set(t) == {"I", "W", "O"} for t in tops)


def test_objectives_order_their_metric():
    acc = load_accelerator("pdigital_ws:dim=32,sram_bytes=131072", CORR, 100)
    layer = Layer(
        "c", "Conv", {"K": 32, "C": 16, "OY": 8, "OX": 8, "FY": 3, "FX": 3}, padding=(1, 1, 1, 1)
    )
    e = evaluate_layer(layer, acc, "energy", CORR)
    lat = evaluate_layer(layer, acc, "latency", CORR)
    edp = evaluate_layer(layer, acc, "edp", CORR)
    assert e.energy_pj <= lat.energy_pj * (1 + 1e-9)
    assert lat.latency_cycles <= e.latency_cycles * (1 + 1e-9)
    assert edp.energy_pj * edp.latency_cycles <= e.energy_pj * e.latency_cycles * (1 + 1e-9)
    with pytest.raises(InputError):
        evaluate_layer(layer, acc, "speed", CORR)


def test_user_mapping_yaml_ours_and_zigzag(tmp_path):
    ours = tmp_path / "m.yaml"
    ours.write_text("mappings:\n  - layer: default\n    spatial: {D1: [[K, 16]], D2: [[C, 8]]}\n")
    zz = tmp_path / "zz.yaml"
    zz.write_text(
        "- name: default\n  spatial_mapping: {D1: ['K, 16'], D2: ['C, 8']}\n"
        "  memory_operand_links: {O: O, W: I2, I: I1}\n"
    )
    acc = load_accelerator("pdigital_ws:dim=32,sram_bytes=131072", CORR, 100)
    layer = Layer("g", "Gemm", {"K": 64, "C": 64})
    results = []
    for path in (ours, zz):
        spec = load_mapping(path)
        assert spec.spatial_for(layer).as_dict() == {"D1": [("K", 16.0)], "D2": [("C", 8.0)]}
        results.append(evaluate_workload(acc, Workload("w", (layer,)), preset=CORR, mapping=spec))
    assert results[0].energy_pj == results[1].energy_pj
    assert results[0].layers[0].spatial_mapping == {"D1": [("K", 16.0)], "D2": [("C", 8.0)]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: conv\n  spatial_mapping: {D1: ['Q, 4']}\n")
    with pytest.raises(InputError):
        load_mapping(bad)


def test_branch_layers_keep_outputs_in_the_top_memory():
    # conv_a feeds conv_b and (through a costless add) conv_c: a branch start (§9.5)
    def conv(name, inputs):
        loops = {"K": 8, "C": 8, "OY": 8, "OX": 8, "FY": 3, "FX": 3}
        return Layer(name, "Conv", loops, padding=(1, 1, 1, 1), inputs=inputs)

    add = Layer(
        "add", "Add", {"G": 8, "OY": 8, "OX": 8}, costless=True, inputs=("conv_a", "conv_b")
    )
    layers = (conv("conv_a", ()), conv("conv_b", ("conv_a",)), add, conv("conv_c", ("add",)))
    from carbonspot.evaluate import layer_graph

    wl = Workload("res", layers)
    graph = layer_graph(wl)
    assert graph == {"conv_a": (), "conv_b": ("conv_a",), "conv_c": ("conv_a", "conv_b")}
    acc = load_accelerator("pdigital_ws:dim=32,sram_bytes=131072", ORIG, 100)
    n_o = len(acc.levels("O"))
    chain = memory_tops(acc, list(wl.compute_layers))
    tops = memory_tops(acc, list(wl.compute_layers), graph)
    assert chain[0]["O"] < n_o  # small tensors: the SRAM is the top in a chain
    assert tops[0]["O"] == n_o and tops[1]["O"] == n_o  # branch start and end: top memory
    assert tops[1]["I"] == n_o  # conv_b reads conv_a's output from where it was left


def test_every_layer_shape_gets_a_mapping_on_the_templates():
    shapes = [
        Layer("one", "Gemm", {}),
        Layer("mm", "MatMul", {"B": 16, "K": 16, "C": 16}, constant_operands=()),
        Layer(
            "b7",
            "Conv",
            {"B": 4, "K": 3, "C": 5, "OY": 7, "OX": 7, "FY": 7, "FX": 7},
            stride=(2, 2),
            padding=(3, 3, 3, 3),
        ),  # fmt: skip
    ]
    for spec in ("pdigital_os:dim=32,sram_bytes=131072", "dimc:dim=32,sram_bytes=131072"):
        for preset in (ORIG, CORR):
            acc = load_accelerator(spec, preset, 100)
            for lay in shapes:
                r = evaluate_layer(lay, acc, "edp", preset)
                assert r.feasible, (spec, preset.name, lay.name, r.reason)
                assert r.latency_cycles >= lay.macs / 1024


def test_user_mapping_equal_to_the_searched_one_costs_the_same():
    # a given diagonal mapping gets the same activation-register widening as the search's
    acc = load_accelerator("dimc:dim=64,sram_bytes=131072", CORR, 100)
    lay = Layer("dw", "Conv", {"G": 16, "OY": 8, "OX": 8, "FY": 3, "FX": 3}, padding=(1, 1, 1, 1))
    found = evaluate_layer(lay, acc, "edp", CORR)
    assert any(d in ("OX", "OY") for d, _ in found.spatial_mapping["D1"])  # diagonal used
    given = evaluate_layer(lay, acc, "edp", CORR, mapping=found.spatial_mapping)
    assert given.energy_pj == pytest.approx(found.energy_pj)
    assert given.latency_cycles == pytest.approx(found.latency_cycles)


def test_residual_graph_inferred_for_zoo_resnet8():
    from carbonspot.evaluate import layer_graph
    from carbonspot.workload.zoo import load_workload

    g = layer_graph(load_workload("resnet8"))
    # identity block: the add joins conv2 with the stem; projection: shortcut + conv2
    assert set(g["s2_conv1"]) == {"s1_conv2", "conv_0"}
    assert g["s2_shortcut"] == g["s2_conv1"]
    assert set(g["dense"]) == {"s3_conv2", "s3_shortcut"}
    assert g["s1_conv2"] == ("s1_conv1",)
    acc = load_accelerator("pdigital_ws:dim=64,sram_bytes=131072", ORIG, 77360)
    layers = list(load_workload("resnet8").compute_layers)
    tops = dict(zip([la.name for la in layers], memory_tops(acc, layers, g), strict=True))
    n_o = len(acc.levels("O"))
    # branch start/end layers keep outputs in the top memory (carbonspot-model.md §9.5)
    for name in ("conv_0", "s1_conv2", "s2_conv2", "s2_shortcut", "s3_conv2", "s3_shortcut"):
        assert tops[name]["O"] == n_o
    for name in ("s1_conv1", "s2_conv1", "s3_conv1"):
        assert tops[name]["O"] < n_o
