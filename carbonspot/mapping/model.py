"""Mapping representation: spatial unrolling on the array and the temporal loop nest.

Spatial mapping (zigzag-model.md §4.1, carbonspot-model.md §9.2): for every array dimension a
tuple of ``(layer dim, unrolling)`` pairs (several pairs = a mixed unrolling, their sizes
multiply). Unrollings that do not divide the layer size become *fractional*: the last array
dimension that unrolls a layer dimension gets ``L / ceil(L / (u·u_prev)) / u_prev``; the
fractional version drives energy, its integer ceiling drives latency (carbonspot-model.md
§6.6). The weight-diagonal OX/OY unrolling used for IMC is an ordinary OX/OY entry on the
word-line dimension; its extra input rows are derived by the IMC energy model.

Temporal mapping (zigzag-model.md §4.2): the loop nest innermost first, and for each operand
the end position (exclusive) of the loops held by each of its memory levels, bottom-up. The
last level always ends at the nest length. The mapper works on arrays of many such nests at
once (see ``carbonspot.cost.model``); these small dataclasses describe one chosen mapping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from carbonspot.workload.model import LOOP_DIMS, Layer

DIM_INDEX = {d: i for i, d in enumerate(LOOP_DIMS)}


@dataclass(frozen=True)
class SpatialMapping:
    """Unrollings per array dimension: ``(("D1", (("K", 32),)), ("D2", (("C", 16), ("FX", 3))))``."""

    unrollings: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]

    @classmethod
    def from_dict(cls, mapping: dict[str, list[tuple[str, float]]]) -> SpatialMapping:
        """Build from ``{"D1": [("K", 32)], ...}`` (a bare ``("K", 32)`` pair is accepted)."""
        items = []
        for oa, loops in mapping.items():
            if loops and isinstance(loops[0], str):
                loops = [loops]
            items.append((oa, tuple((str(d), float(s)) for d, s in loops)))
        return cls(tuple(items))

    def as_dict(self) -> dict[str, list[tuple[str, float]]]:
        """``{"D1": [("K", 32.0)], ...}`` as user-facing lists."""
        return {oa: [(d, s) for d, s in loops] for oa, loops in self.unrollings}

    def converted(self, layer: Layer, array_dims: dict[str, int]) -> tuple[dict, dict]:
        """Fractional and integer per-array-dim unrollings after ZigZag's conversion.

        Each unrolling is clipped to the array size and the layer size; the last array dim
        unrolling a layer dim becomes fractional, ``L / ceil(L/(u·u_prev)) / u_prev``, and the
        integer version is its ceiling (carbonspot-model.md §9.2). Loops of layer dims of size
        1 are dropped. Returns ``({oa: {dim: frac}}, {oa: {dim: int}})``.
        """
        clipped: list[tuple[str, str, float]] = []
        for oa, loops in self.unrollings:
            for d, s in loops:
                size = layer.loops.get(d, 1)
                if size <= 1 or s <= 1:
                    continue
                u = min(float(s), float(array_dims.get(oa, s)), float(size))
                clipped.append((oa, d, u))
        last_oa: dict[str, int] = {}
        for i, (_, d, _) in enumerate(clipped):
            last_oa[d] = i
        frac: dict[str, dict[str, float]] = {oa: {} for oa, _ in self.unrollings}
        integer: dict[str, dict[str, float]] = {oa: {} for oa, _ in self.unrollings}
        prev: dict[str, float] = {}
        for i, (oa, d, u) in enumerate(clipped):
            u_prev = prev.get(d, 1.0)
            if last_oa[d] == i:
                size = layer.loops[d]
                rem = math.ceil(size / (u * u_prev) - 1e-9)
                f = size / rem / u_prev
            else:
                f = u
            frac[oa][d] = frac[oa].get(d, 1.0) * f
            ival = math.ceil(f - 1e-9)
            integer[oa][d] = integer[oa].get(d, 1.0) * ival
            prev[d] = u_prev * f
        return frac, integer


def spatial_totals(per_oa: dict[str, dict[str, float]]) -> dict[str, float]:
    """Product of unrollings per layer dim over all array dims."""
    out: dict[str, float] = {}
    for loops in per_oa.values():
        for d, s in loops.items():
            out[d] = out.get(d, 1.0) * s
    return out


def temporal_sizes(layer: Layer, frac_totals: dict[str, float]) -> dict[str, int]:
    """Temporal loop size per layer dim: ``ceil(L / spatial)`` (zigzag-model.md §6.1)."""
    out = {}
    for d in LOOP_DIMS:
        t = math.ceil(layer.loops[d] / frac_totals.get(d, 1.0) - 1e-9)
        if t > 1:
            out[d] = t
    return out


@dataclass(frozen=True)
class TemporalMapping:
    """A loop nest (innermost first) and, per operand, the end index of each memory level.

    ``levels[op]`` are the memory names holding ``op`` bottom-up and ``cuts[op][k]`` the
    number of innermost loops held at or below level k (the last equals ``len(loops)``).
    """

    loops: tuple[tuple[str, int], ...]
    levels: tuple[tuple[str, tuple[str, ...]], ...]
    cuts: tuple[tuple[str, tuple[int, ...]], ...]

    def level_of_loop(self, op: str, i: int) -> str:
        """Memory name that holds loop ``i`` for operand ``op``."""
        names = dict(self.levels)[op]
        for name, end in zip(names, dict(self.cuts)[op], strict=False):
            if i < end:
                return name
        return names[-1]

    def as_list(self) -> list[dict]:
        """User-facing nest: ``[{"dim", "size", "levels": {op: memory}}]`` innermost first."""
        ops = [op for op, _ in self.levels]
        return [
            {"dim": d, "size": int(s), "levels": {op: self.level_of_loop(op, i) for op in ops}}
            for i, (d, s) in enumerate(self.loops)
        ]
