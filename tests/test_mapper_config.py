"""MapperConfig is part of every cache key, and the caches belong to an Evaluator.

Regression: ``SPATIAL_PER_DIM`` used to be a module global outside the spatial-candidate
cache key, so changing it after a first call returned the stale candidate list.
"""

from __future__ import annotations

import dataclasses

import pytest

from carbonspot import evaluate
from carbonspot.design import build_accelerator
from carbonspot.errors import InputError
from carbonspot.evaluate import Evaluator, default_hint, evaluate_layer, evaluate_workload
from carbonspot.mapper import exhaustive as mp
from carbonspot.mapper import fast as fastmap
from carbonspot.mapper.config import DEFAULT_CONFIG, MAPPERS, MapperConfig, MappingCache
from carbonspot.presets import get_preset
from carbonspot.workload import zoo

CORR = get_preset("corrected")
ORIG = get_preset("carbonspot2025")
NET = zoo.load_workload("ds_cnn")
ACC = build_accelerator("pdigital_ws", {"dim": 16}, "corrected", NET)
DW = NET.compute_layers[1]  # depthwise 3×3: its best unrolling is not the top-utilisation one
ONE = MapperConfig(spatial_per_dim=1)


def _edp(res) -> float:
    return res.energy_pj * res.latency_cycles


def test_default_config_is_todays_search():
    assert MapperConfig() == DEFAULT_CONFIG
    assert (DEFAULT_CONFIG.kind, DEFAULT_CONFIG.spatial_per_dim) == (mp.DEFAULT_MAPPER, None)
    assert DEFAULT_CONFIG.mix_pool_limit == 12
    assert mp.MAPPERS == MAPPERS


def test_config_is_frozen_hashable_and_checked():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_CONFIG.spatial_per_dim = 1  # type: ignore[misc]
    assert len({MapperConfig(), MapperConfig(), ONE}) == 2
    config = MapperConfig()
    assert config.with_kind("fast") is config
    assert ONE.with_kind("exhaustive") == MapperConfig("exhaustive", spatial_per_dim=1)
    with pytest.raises(InputError, match="unknown mapper 'bogus'"):
        MapperConfig(kind="bogus")
    for bad in (0, -1, 1.5):
        with pytest.raises(InputError, match="spatial_per_dim"):
            MapperConfig(spatial_per_dim=bad)
    with pytest.raises(InputError, match="mix_pool_limit"):
        MapperConfig(mix_pool_limit=-1)


def test_spatial_per_dim_is_part_of_the_spatial_cache_key():
    cache = MappingCache()
    hint = default_hint(ACC)
    every = mp.spatial_candidates(DW, ACC, hint, CORR, DEFAULT_CONFIG, cache)
    first = mp.spatial_candidates(DW, ACC, hint, CORR, ONE, cache)
    # the old module global gave `every` again here (the key did not hold it)
    assert first == mp.spatial_candidates(DW, ACC, hint, CORR, ONE)
    assert len(first) < len(every)
    assert len(cache) == 2
    assert mp.spatial_candidates(DW, ACC, hint, CORR, DEFAULT_CONFIG, cache) is every


def test_mix_pool_limit_is_part_of_the_spatial_cache_key():
    net = zoo.load_workload("resnet8")
    acc = build_accelerator("pdigital_ws", {"dim": 16}, "corrected", net)
    layer, hint = net.compute_layers[0], default_hint(acc)  # K16 C3 OY32 OX32 FY3 FX3
    divisors = MapperConfig(mix_pool_limit=0)
    cache = MappingCache()
    lists = [
        mp.spatial_candidates(layer, acc, hint, CORR, c, cache) for c in (DEFAULT_CONFIG, divisors)
    ]
    assert lists[1] == mp.spatial_candidates(layer, acc, hint, CORR, divisors)
    # the two generators list the same mixes; here their order among equal sizes differs
    assert lists[0] != lists[1]
    assert sorted(map(repr, lists[0])) == sorted(map(repr, lists[1]))


@pytest.mark.parametrize("kind", MAPPERS)
def test_a_shared_cache_never_mixes_configs(kind):
    cache = MappingCache()
    wide = Evaluator(MapperConfig(kind), mapping_cache=cache)
    narrow = Evaluator(MapperConfig(kind, spatial_per_dim=1), mapping_cache=cache)
    for preset in (CORR, ORIG):
        a = wide.evaluate_layer(DW, ACC, "edp", preset)
        b = narrow.evaluate_layer(DW, ACC, "edp", preset)
        assert b == Evaluator(narrow.config).evaluate_layer(DW, ACC, "edp", preset)
        assert a == Evaluator(wide.config).evaluate_layer(DW, ACC, "edp", preset)
    # corrected: keeping one unrolling per array dim misses this layer's optimum
    assert _edp(narrow.evaluate_layer(DW, ACC, "edp", CORR)) > _edp(
        wide.evaluate_layer(DW, ACC, "edp", CORR)
    )


@pytest.mark.parametrize(
    "config", [ONE, MapperConfig(spatial_per_dim=2), MapperConfig(mix_pool_limit=0)]
)
def test_fast_and_exhaustive_agree_under_any_config(config):
    for layer in NET.compute_layers[:3]:
        hint = default_hint(ACC)
        fast = fastmap.best_mapping_fast(layer, ACC, CORR, "edp", hint=hint, config=config)
        full = mp.best_mapping(layer, ACC, CORR, "edp", hint=hint, config=config)
        assert float(fast.costs.energy_pj[0]) == pytest.approx(float(full.costs.energy_pj[0]))
        assert float(fast.costs.latency_total2[0]) == pytest.approx(
            float(full.costs.latency_total2[0])
        )
        n_arrays = len(fastmap.all_candidates(layer, ACC, hint, CORR, config).scale)
        assert n_arrays == len(mp.spatial_candidates(layer, ACC, hint, CORR, config))


def test_an_evaluator_owns_its_caches():
    ev = Evaluator(MapperConfig("exhaustive"))
    before = len(evaluate._DEFAULT_EVALUATOR._layers)
    res = evaluate_workload(ACC, NET, "edp", CORR, evaluator=ev)
    assert len(evaluate._DEFAULT_EVALUATOR._layers) == before  # the default one is untouched
    assert len(ev._layers) > 0 and len(ev.mapping_cache) > 0
    # same numbers as the default evaluator, whose kind differs (same optimum)
    ref = evaluate_workload(ACC, NET, "edp", CORR)
    assert res.energy_pj == pytest.approx(ref.energy_pj, rel=1e-12)
    assert res.latency_cycles == pytest.approx(ref.latency_cycles, rel=1e-12)
    # a cached layer result is returned again; ``mapper=`` overrides the kind and keys apart
    assert evaluate_layer(DW, ACC, "edp", CORR, evaluator=ev) == ev.evaluate_layer(DW, ACC)
    n = len(ev._layers)
    fast = ev.evaluate_layer(DW, ACC, "edp", CORR, mapper="fast")
    assert len(ev._layers) == n + 1
    assert fast == evaluate_layer(DW, ACC, "edp", CORR, mapper="fast")
    ev.clear_layer_results()
    assert len(ev._layers) == 0 and len(ev.mapping_cache) > 0
    ev.clear()
    assert len(ev.mapping_cache) == 0


def test_unknown_mapper_and_objective_are_input_errors():
    with pytest.raises(InputError, match="unknown mapper"):
        evaluate_layer(DW, ACC, mapper="bogus")
    with pytest.raises(InputError, match="unknown objective"):
        evaluate_layer(DW, ACC, objective="speed", evaluator=Evaluator())
