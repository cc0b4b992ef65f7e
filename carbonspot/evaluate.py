"""Public evaluation API: a layer or a workload on an accelerator, with the best mapping.

``evaluate_layer`` searches (or takes) a mapping for one layer; ``evaluate_workload`` runs it
for every costed layer and sums (layers run back to back, zigzag-model.md §7.11). Before the
per-layer search, memory levels a layer does not need are pruned as the original does
(carbonspot-model.md §9.5): activations stop at the lowest memory that holds the layer's
input + output (+ all of the workload's weights if it stores weights), weights at the lowest
memory serving every array dimension that holds all weights. A layer that no mapping fits
gives ``LayerResult(feasible=False, reason=…)`` and an infeasible workload result.

An :class:`Evaluator` holds the mapper's :class:`~carbonspot.mapper.config.MapperConfig` and
the caches: per-layer results by (layer shape, accelerator, objective, preset, pruning, hint,
user mapping, mapper config), and the mapper's spatial candidates
(:class:`~carbonspot.mapper.config.MappingCache`), so repeated layers and repeated designs
cost nothing. The functions take an optional ``evaluator``; a caller that evaluates many
designs in one process (a sweep worker, a study session) creates one and passes it to every
call. Without one they use a private per-process evaluator (the default config), which keeps
the behaviour of callers that pass none.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from carbonspot.cost.results import LayerResult, WorkloadResult
from carbonspot.errors import InputError
from carbonspot.hardware import figures as cost_hw
from carbonspot.hardware.model import Accelerator
from carbonspot.hardware.templates import DATAFLOWS, TEMPLATE_DATAFLOW
from carbonspot.mapper.config import DEFAULT_CONFIG, MapperConfig, MappingCache
from carbonspot.mapper.exhaustive import (
    OBJECTIVES,
    Choice,
    best_mapping,
    temporal_mapping_of,
)
from carbonspot.mapping.model import SpatialMapping
from carbonspot.presets import Preset, get_preset
from carbonspot.workload.model import Layer, Workload

__all__ = [
    "Evaluator",
    "evaluate_layer",
    "evaluate_workload",
    "default_hint",
    "memory_tops",
    "layer_graph",
    "clear_cache",
]

# Spatial-mapping hints of the paper's templates (carbonspot-model.md §3.2), by name: for
# accelerators that carry no hint of their own (templates built before ``Accelerator.hint``).
TEMPLATE_HINTS: dict[str, dict[str, list[str]]] = {
    t: {dim: list(loops) for dim, loops in DATAFLOWS[flow].items()}
    for t, flow in TEMPLATE_DATAFLOW.items()
}


def default_hint(acc: Accelerator) -> dict[str, list[str]] | None:
    """The accelerator's dataflow hint (its ``hint``, else its template's by name; None =
    every layer dim allowed on every array dim)."""
    if acc.hint is not None:
        return {dim: list(loops) for dim, loops in acc.hint}
    return TEMPLATE_HINTS.get(acc.name.lower())


def _search(kind: str, fixed_spatial: bool = False):
    """The per-layer search of mapper ``kind`` (both return the same optimum).

    A fixed spatial mapping leaves only the loop orders to search: the numpy search costs
    them in milliseconds, less than loading the compiled kernel (about 0.8 s CPU once per
    process), so ``fast`` uses it then.
    """
    if kind == "fast" and not fixed_spatial:
        from carbonspot.mapper.fast import best_mapping_fast  # imports numba: lazily

        return best_mapping_fast
    return best_mapping


def layer_graph(workload: Workload) -> dict[str, tuple[str, ...]] | None:
    """Producers of each costed layer, costless layers bridged (None if not recorded).

    Uses an optional ``inputs`` attribute (names of producer layers) on every layer; the
    original removes element-wise "dummy" nodes and connects their producers to their
    consumers (carbonspot-model.md §9.5).
    """
    if not workload.layers:
        return None
    recorded = {la.name: getattr(la, "inputs", None) for la in workload.layers}
    if any(v is None for v in recorded.values()):
        inferred = _infer_residual_inputs(workload)
        if inferred is None:
            return None
        recorded = inferred
    by_name = {la.name: la for la in workload.layers}

    def producers(name: str, seen: frozenset = frozenset()) -> tuple[str, ...]:
        out: list[str] = []
        for src in recorded.get(name) or ():
            if src not in by_name or src in seen:
                continue
            if by_name[src].costless:
                out += [p for p in producers(src, seen | {src}) if p not in out]
            elif src not in out:
                out.append(src)
        return tuple(out)

    return {la.name: producers(la.name) for la in workload.compute_layers}


def _shape_out(la: Layer) -> tuple[int, int, int]:
    lp = la.loops
    if la.operator == "Gemm":
        return (lp["K"], 1, 1)
    if la.operator == "Add":
        return (lp["G"] * lp["K"], lp["OY"], lp["OX"])
    return (lp["K"] * lp["G"], lp["OY"], lp["OX"])


def _accepts(la: Layer, shape: tuple[int, int, int]) -> bool:
    """Could ``shape`` (C, H, W) be this layer's input tensor?"""
    lp = la.loops
    c, h, w = shape
    if la.operator == "Gemm":
        return lp["C"] in (c, c * h * w)
    if c != lp["C"] * lp["G"]:
        return False
    top, left, bottom, right = la.padding
    for size, o, f, st, dil, pads in (
        (h, lp["OY"], lp["FY"], la.stride[0], la.dilation[0], top + bottom),
        (w, lp["OX"], lp["FX"], la.stride[1], la.dilation[1], left + right),
    ):
        lo = (o - 1) * st + dil * (f - 1) + 1 - pads
        if not lo <= size <= lo + st - 1:
            return False
    return True


def _infer_residual_inputs(workload: Workload) -> dict[str, tuple[str, ...]] | None:
    """Producers of each layer of a sequential image network with residual adds, or None.

    Used when the loader recorded no graph. A layer reads the most recent tensor whose shape
    fits its input; an add sums the previous tensor with, for a projection shortcut, the
    tensor before it, otherwise the block input: walking back the chain of first producers,
    the earliest tensor of the add's shape before the chain leaves that shape again, or the
    previous add (ResNet basic blocks, MobileNet-V2 inverted residuals). Networks with other operators
    (MatMul, batched Gemm) are left to the chain model.
    """
    layers = workload.layers
    if not any(la.operator == "Add" for la in layers):
        return None
    if any(la.operator not in ("Conv", "Pool", "Add", "Gemm") for la in layers):
        return None
    if any(la.operator == "Gemm" and la.loops["B"] != 1 for la in layers):
        return None
    shape: dict[str, tuple[int, int, int]] = {}
    inputs: dict[str, tuple[str, ...]] = {}
    order: list[str] = []
    ops = {la.name: la.operator for la in layers}
    for la in layers:
        if la.operator == "Add":
            s_ = _shape_out(la)
            if not order or shape[order[-1]] != s_:
                return None
            x1 = order[-1]
            p1 = inputs[x1][0] if inputs.get(x1) else None
            x2 = None
            if len(order) >= 2 and p1 != order[-2] and shape[order[-2]] == s_:
                x2 = order[-2]  # projection shortcut: main path ends just before it
            else:
                cur = x1
                while inputs.get(cur):
                    src = inputs[cur][0]
                    if shape[src] == s_:
                        x2 = src
                        if ops[src] == "Add":
                            break
                    elif x2 is not None:
                        break  # the chain left the add's shape after its block input
                    cur = src
            if x2 is None:
                return None
            inputs[la.name] = (x1, x2)
        else:
            src = next((n for n in reversed(order) if _accepts(la, shape[n])), None)
            if src is None and order:
                return None
            inputs[la.name] = (src,) if src else ()
        shape[la.name] = _shape_out(la)
        order.append(la.name)
    return inputs


def memory_tops(
    acc: Accelerator, layers: list[Layer], graph: dict[str, tuple[str, ...]] | None = None
) -> list[dict[str, int]]:
    """Levels kept per operand for each layer (carbonspot-model.md §9.5), as level counts.

    Without ``graph`` the layers form a chain (the previous output level is the next input
    level). With it (producers per layer, see :func:`layer_graph`), a layer's input level is
    its first producer's output level, and branch start/end layers (several consumers, or
    one consumer with several producers) keep their output in the top memory.
    """
    mems = acc.memories
    n_dims = len(acc.dim_sizes)
    w_total = sum(
        lay.operand_bits("W") for lay in layers if "W" in lay.constant_operands
    )  # whole-workload weights
    top_of = {op: max(i for i, m in enumerate(mems) if op in m.operands) for op in "IWO"}
    w_level = top_of["W"]
    consumers: dict[str, list[str]] = {}
    if graph is not None:
        for name, srcs in graph.items():
            for src in srcs:
                consumers.setdefault(src, []).append(name)
    io_levels = []
    o_of: dict[str, int] = {}
    prev_o = None
    for li, lay in enumerate(layers):
        i_bits = lay.operand_elements("I") * lay.precision.input_bits
        o_bits = lay.operand_elements("O") * lay.precision.output_bits
        srcs = graph.get(lay.name, ()) if graph is not None else ()
        if graph is not None:
            first = next((o_of[s_] for s_ in srcs if s_ in o_of), None)
            i_level = first if first is not None else top_of["I"]
        else:
            i_level = prev_o if prev_o is not None else top_of["I"]
        o_level = top_of["O"]
        cons = consumers.get(lay.name, [])
        branch = graph is not None and (
            len(cons) > 1 or (len(cons) == 1 and len(graph.get(cons[0], ())) > 1)
        )
        for idx in range(len(mems) - 1, -1, -1):
            if branch:
                break
            m = mems[idx]
            io_both = "I" in m.operands and "O" in m.operands
            serve_w = "W" in m.operands
            if not (io_both or serve_w):
                continue
            cap = m.size_bits * m.replicas(acc.dim_sizes)
            if io_both and i_bits + o_bits <= cap:
                o_level = idx
                if li == 0:
                    i_level = idx
            if serve_w and w_total <= cap and len(m.served_dims) == n_dims and idx < w_level:
                w_level = idx
        io_levels.append((i_level, o_level))
        o_of[lay.name] = o_level
        prev_o = o_level
    out = []
    for i_level, o_level in io_levels:
        tops = {"I": i_level, "O": o_level, "W": w_level}
        out.append(
            {op: sum(1 for i, m in enumerate(mems) if op in m.operands and i <= t)
             for op, t in tops.items()}
        )  # fmt: skip
    return out


def _layer_result(layer: Layer, acc: Accelerator, choice: Choice, preset: Preset) -> LayerResult:
    c = choice.costs
    energy = float(c.energy_pj[0])
    bd = {"array": float(choice.array_energy_pj)}
    for (mem, op), v in (c.mem_breakdown or {}).items():
        bd[f"mem:{mem}:{op}"] = float(v[0])
    ideal = float(c.ideal_temporal[0])
    stall = float(c.stall[0])
    if preset.latency_excludes_loading:
        onload = offload = 0.0
    else:
        onload, offload = float(c.onload[0]), float(c.offload[0])
    lat = {"mac_computation": ideal, "stall": stall, "onloading": onload, "offloading": offload}
    total = ideal + stall + onload + offload
    systolic = getattr(acc.array, "systolic_dims", ())
    if systolic:
        # zigzag-dse 3.9.1 (cost_model.py, latency_total2): along a systolic dimension the
        # last results leave the array one PE per cycle, ceil(unrolling) - 1 cycles after
        # they are computed. Added after the search: the per-layer search does not see it
        # (docs/model-differences.md). Each unrolling is clipped to the layer and array size,
        # not made fractional: ZigZag's layer.spatial_mapping (a K 32 unrolling of a 3-channel
        # conv drains 2 cycles, not 31)
        unroll = {
            oa: math.prod(min(s, layer.loops.get(d, 1), acc.dim_sizes.get(oa, s)) for d, s in loops)
            for oa, loops in choice.spatial.unrollings
        }
        lat["systolic_drain"] = float(
            sum(max(math.ceil(unroll[d]) - 1, 0) for d in systolic if d in unroll)
        )
        total += lat["systolic_drain"]
    units = math.prod(acc.dim_sizes.values())
    util = (layer.macs / units * choice.cycles_per_op) / total if total > 0 else 0.0
    sm = {oa: [(d, float(s)) for d, s in loops] for oa, loops in choice.spatial.unrollings}
    return LayerResult(
        layer=layer.name,
        operator=layer.operator,
        macs=layer.macs,
        feasible=True,
        energy_pj=energy,
        latency_cycles=total,
        energy_breakdown_pj=bd,
        latency_breakdown_cycles=lat,
        spatial_mapping=sm,
        temporal_mapping=temporal_mapping_of(choice).as_list(),
        utilization=util,
    )


def _infeasible(layer: Layer, reason: str) -> LayerResult:
    return LayerResult(
        layer=layer.name, operator=layer.operator, macs=layer.macs, feasible=False, reason=reason
    )


def _fit_reason(layer: Layer, acc: Accelerator, n_levels: dict[str, int] | None) -> str:
    parts = []
    for op in ("I", "W", "O"):
        levels = acc.levels(op)
        if n_levels:
            levels = levels[: n_levels[op]]
        bits = layer.operand_bits(op)
        biggest = max((m.size_bits for m in levels), default=0)
        if bits > biggest:
            parts.append(f"operand {op} ({bits} bits) exceeds every memory holding it")
        elif levels and bits > levels[-1].size_bits:
            top = levels[-1]
            parts.append(
                f"operand {op} ({bits} bits) exceeds its top memory {top.name!r} "
                f"({top.size_bits} bits), which must hold all of it"
            )
    if not parts:
        parts.append("no loop ordering fits the memory hierarchy")
    return f"layer {layer.name!r}: " + "; ".join(parts)


class Evaluator:
    """Evaluates layers and workloads with one mapper config, keeping what it found.

    Owns the per-layer results (least recently used first out, at most
    ``max_layer_results``) and the mapper's :class:`MappingCache`; every key includes the
    preset and the :class:`MapperConfig` of the search, so results of other settings are
    never returned. One evaluator per process is the intended use (not thread-safe): create it
    where the designs are evaluated (a sweep worker's initialiser, a study session) and pass
    it to :func:`evaluate_workload` / :func:`evaluate_layer`, or call its methods.
    """

    def __init__(
        self,
        config: MapperConfig = DEFAULT_CONFIG,
        *,
        max_layer_results: int = 20000,
        mapping_cache: MappingCache | None = None,
    ) -> None:
        self.config = config
        self.max_layer_results = max_layer_results
        self.mapping_cache = MappingCache() if mapping_cache is None else mapping_cache
        self._layers: OrderedDict[tuple, LayerResult] = OrderedDict()

    def evaluate_layer(
        self,
        layer: Layer,
        acc: Accelerator,
        objective: str = "edp",
        preset: str | Preset | None = "corrected",
        mapping: Any = None,
        n_levels: dict[str, int] | None = None,
        mapper: str | None = None,
    ) -> LayerResult:
        """:func:`evaluate_layer` with this evaluator's config and caches."""
        p, config = self._resolve(objective, preset, mapper)
        return self._layer(layer, acc, objective, p, config, mapping, n_levels)

    def evaluate_workload(
        self,
        acc: Accelerator,
        workload: Workload,
        objective: str = "edp",
        preset: str | Preset | None = "corrected",
        mapping: Any = None,
        mapper: str | None = None,
        data_locality: bool = True,
    ) -> WorkloadResult:
        """:func:`evaluate_workload` with this evaluator's config and caches."""
        p, config = self._resolve(objective, preset, mapper)
        return self._workload(acc, workload, objective, p, config, mapping, data_locality)

    def clear_layer_results(self) -> None:
        """Forget the cached layer results (the spatial candidates are kept)."""
        self._layers.clear()

    def clear(self) -> None:
        """Forget everything cached: layer results and spatial candidates."""
        self._layers.clear()
        self.mapping_cache.clear()

    def _resolve(
        self, objective: str, preset: str | Preset | None, mapper: str | None
    ) -> tuple[Preset, MapperConfig]:
        """The public arguments checked and resolved once: the preset and the config."""
        if objective not in OBJECTIVES:
            raise InputError(
                f"unknown objective {objective!r}", field="--objective", allowed=OBJECTIVES
            )
        config = self.config if mapper is None else self.config.with_kind(mapper)
        return get_preset(preset), config

    def _layer(
        self,
        layer: Layer,
        acc: Accelerator,
        objective: str,
        p: Preset,
        config: MapperConfig,
        mapping: Any,
        n_levels: dict[str, int] | None,
    ) -> LayerResult:
        if layer.costless:
            return LayerResult(
                layer=layer.name, operator=layer.operator, macs=layer.macs, feasible=True,
                energy_pj=0.0, latency_cycles=0.0, utilization=0.0,
            )  # fmt: skip
        if n_levels is None:
            n_levels = memory_tops(acc, [layer])[0]
        spatial = _spatial_for(layer, mapping)
        hint = default_hint(acc)
        if mapping is not None and hasattr(mapping, "hint_for"):
            hint = mapping.hint_for(layer) or hint
        hint_key = tuple((k, tuple(v)) for k, v in hint.items()) if hint else None
        key = (
            layer.key, acc, objective, p, tuple(sorted(n_levels.items())), spatial, hint_key,
            config,
        )  # fmt: skip
        hit = self._layers.get(key)
        if hit is not None:
            self._layers.move_to_end(key)
            return _renamed(hit, layer)
        search = _search(config.kind, spatial is not None)
        options = dict(hint=hint, spatial=spatial, config=config, cache=self.mapping_cache)
        choice = search(layer, acc, p, objective, n_levels=n_levels, **options)
        full = {op: len(acc.levels(op)) for op in ("I", "W", "O")}
        if choice is None and n_levels != full:
            # the pruned hierarchy can be too tight once partial sums and the other operands'
            # tiles share the new top level: fall back to the whole hierarchy for this layer
            choice = search(layer, acc, p, objective, n_levels=full, **options)
        if choice is None:
            res = _infeasible(layer, _fit_reason(layer, acc, full))
        else:
            res = _layer_result(layer, acc, choice, p)
        self._layers[key] = res
        if len(self._layers) > self.max_layer_results:
            self._layers.popitem(last=False)
        return _renamed(res, layer)

    def _workload(
        self,
        acc: Accelerator,
        workload: Workload,
        objective: str,
        p: Preset,
        config: MapperConfig,
        mapping: Any,
        data_locality: bool = True,
    ) -> WorkloadResult:
        layers = list(workload.compute_layers)
        if not data_locality:  # zigzag-dse's default: every operand to and from the top
            full = {op: len(acc.levels(op)) for op in ("I", "W", "O")}
            tops = [dict(full) for _ in layers]
        else:
            tops = memory_tops(acc, layers, layer_graph(workload)) if layers else []
        results = [
            self._layer(lay, acc, objective, p, config, mapping, t)
            for lay, t in zip(layers, tops, strict=False)
        ]
        return _workload_result(acc, workload, results, p)


# The evaluator of callers that pass none (design.py, report/, cli/ today): one per process,
# private; pass your own Evaluator to control its config and lifetime.
_DEFAULT_EVALUATOR = Evaluator()


def clear_cache() -> None:
    """Forget the layer results of the default evaluator (callers that pass no evaluator)."""
    _DEFAULT_EVALUATOR.clear_layer_results()


def evaluate_layer(
    layer: Layer,
    acc: Accelerator,
    objective: str = "edp",
    preset: str | Preset | None = "corrected",
    mapping: Any = None,
    n_levels: dict[str, int] | None = None,
    mapper: str | None = None,
    evaluator: Evaluator | None = None,
) -> LayerResult:
    """Best mapping of one layer and its cost (or why nothing fits).

    ``mapping`` is a :class:`SpatialMapping`, a ``{"D1": [("K", 16)], …}`` dict or a
    loaded mapping file (``carbonspot.mapping.readers.yaml.load_mapping``); ``n_levels`` the
    per-operand levels kept (default: pruning for this layer alone); ``mapper`` the search
    (``fast`` or ``exhaustive``, :data:`carbonspot.mapper.config.MAPPERS`, same optimum;
    ``None`` = the evaluator's config, ``fast`` by default); ``evaluator`` the config and
    caches to use (``None`` = the process's default evaluator).
    """
    ev = _DEFAULT_EVALUATOR if evaluator is None else evaluator
    return ev.evaluate_layer(layer, acc, objective, preset, mapping, n_levels, mapper)


def _renamed(res: LayerResult, layer: Layer) -> LayerResult:
    """A cached result of a layer of the same shape, under this layer's name (its reason too)."""
    if res.layer == layer.name:
        return res
    from dataclasses import replace

    reason = res.reason and res.reason.replace(f"layer {res.layer!r}", f"layer {layer.name!r}")
    return replace(res, layer=layer.name, reason=reason)


def _spatial_for(layer: Layer, mapping: Any) -> SpatialMapping | None:
    if mapping is None:
        return None
    if isinstance(mapping, SpatialMapping):
        return mapping
    if isinstance(mapping, dict):
        return SpatialMapping.from_dict(mapping)
    lookup = getattr(mapping, "spatial_for", None)
    if lookup is not None:
        return lookup(layer)
    raise InputError("unsupported mapping object", field="mapping")


def evaluate_workload(
    acc: Accelerator,
    workload: Workload,
    objective: str = "edp",
    preset: str | Preset | None = "corrected",
    mapping: Any = None,
    mapper: str | None = None,
    evaluator: Evaluator | None = None,
    data_locality: bool = True,
) -> WorkloadResult:
    """Evaluate every costed layer (best mapping each) and sum; never raises on infeasibility.

    ``mapper`` picks the per-layer search (``fast`` or ``exhaustive``, same optimum; ``None`` =
    the evaluator's config); ``evaluator`` the config and caches to use (``None`` = the
    process's default evaluator). ``data_locality`` (default, as the original CarbonSpot)
    prunes the memory levels each layer does not need, following the workload's graph
    (:func:`memory_tops`); ``False`` keeps the whole hierarchy for every operand of every
    layer, as zigzag-dse does by default (``exploit_data_locality=False``): activations go to
    and from the top memory between layers.
    """
    ev = _DEFAULT_EVALUATOR if evaluator is None else evaluator
    return ev.evaluate_workload(acc, workload, objective, preset, mapping, mapper, data_locality)


def _summary_reason(bad: list[LayerResult], n_layers: int, shown: int = 3) -> str:
    """Why a workload is infeasible, in one line: each distinct layer reason once."""
    reasons = list(dict.fromkeys(r.reason or f"layer {r.layer!r} does not fit" for r in bad))
    text = "; ".join(reasons[:shown])
    if len(reasons) > shown:
        text += f"; and {len(reasons) - shown} more"
    return f"{len(bad)} of {n_layers} layers do not fit: {text}"


def _workload_result(
    acc: Accelerator, workload: Workload, results: list[LayerResult], p: Preset
) -> WorkloadResult:
    """The layer results summed, with the accelerator's area and clock under preset ``p``."""
    area, area_bd = cost_hw.accelerator_area_mm2(acc, p)
    tclk, tclk_bd = cost_hw.accelerator_tclk_ns(acc, p)
    bad = [r for r in results if not r.feasible]
    if bad:
        return WorkloadResult(
            workload=workload.name, accelerator=acc.spec or acc.name, feasible=False,
            ops=workload.ops, energy_pj=float("nan"), latency_cycles=float("nan"),
            tclk_ns=tclk, area_mm2=area, layers=results, area_breakdown_mm2=area_bd,
            tclk_breakdown_ns=tclk_bd, reason=_summary_reason(bad, len(results)),
        )  # fmt: skip
    e_bd: dict[str, float] = {}
    l_bd = {"mac_computation": 0.0, "stall": 0.0, "onloading": 0.0, "offloading": 0.0}
    for r in results:
        for k, v in r.energy_breakdown_pj.items():
            e_bd[k] = e_bd.get(k, 0.0) + v
        for k, v in r.latency_breakdown_cycles.items():
            l_bd[k] = l_bd.get(k, 0.0) + v
    return WorkloadResult(
        workload=workload.name,
        accelerator=acc.spec or acc.name,
        feasible=True,
        ops=workload.ops,
        energy_pj=sum(r.energy_pj for r in results),
        latency_cycles=sum(r.latency_cycles for r in results),
        tclk_ns=tclk,
        area_mm2=area,
        layers=results,
        energy_breakdown_pj=e_bd,
        latency_breakdown_cycles=l_bd,
        area_breakdown_mm2=area_bd,
        tclk_breakdown_ns=tclk_bd,
    )
