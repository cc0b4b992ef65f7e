"""Read a user mapping: our mapping YAML or a ZigZag v3 mapping YAML (zigzag-model.md §2.3).

Our format::

    mappings:
      - layer: default            # or a layer name, or an operator (Conv, Gemm, MatMul, Pool)
        spatial: {D1: [[K, 32]], D2: [[C, 16], [FX, 3]]}   # optional: fixed unrolling
        hint: {D1: [K], D2: [C, FX, FY]}                  # optional: search restricted to

ZigZag v3: a list of entries with ``name`` (``default`` mandatory), ``spatial_mapping``
(``{D1: ["K, 32"], …}``) and/or ``spatial_mapping_hint``; ``memory_operand_links`` must be
the default ``{O: O, W: I2, I: I1}``; ``temporal_ordering`` is not supported (the temporal
search is always run) and is rejected rather than silently ignored.

An entry is chosen per layer by name, then operator, then ``default`` (ZigZag's priority).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from carbonspot.errors import InputError
from carbonspot.mapping.model import SpatialMapping
from carbonspot.workload.model import LOOP_DIMS, Layer
from carbonspot.yaml_file import read_yaml_file

_ZZ_LINKS = {"O": "O", "W": "I2", "I": "I1"}


@dataclass(frozen=True)
class MappingEntry:
    """One entry: a fixed spatial mapping and/or a hint (either may be None)."""

    spatial: SpatialMapping | None = None
    hint: tuple[tuple[str, tuple[str, ...]], ...] | None = None


@dataclass(frozen=True)
class MappingSpec:
    """Mapping entries by layer name / operator / ``default``."""

    entries: tuple[tuple[str, MappingEntry], ...] = field(default_factory=tuple)
    source: str = ""

    def entry_for(self, layer: Layer) -> MappingEntry | None:
        table = dict(self.entries)
        for key in (layer.name, layer.operator, "default"):
            if key in table:
                return table[key]
        return None

    def spatial_for(self, layer: Layer) -> SpatialMapping | None:
        """Fixed spatial mapping for ``layer`` (None: search it)."""
        e = self.entry_for(layer)
        return e.spatial if e else None

    def hint_for(self, layer: Layer) -> dict[str, list[str]] | None:
        """Spatial hint for ``layer`` (None: the accelerator's default)."""
        e = self.entry_for(layer)
        if e is None or e.hint is None:
            return None
        return {oa: list(dims) for oa, dims in e.hint}


def _dim(name: object, src: str, fld: str) -> str:
    d = str(name).strip().upper()
    if d not in LOOP_DIMS:
        raise InputError(
            f"unknown layer dimension {name!r}", source=src, field=fld, allowed=LOOP_DIMS
        )
    return d


def _size(v: object, src: str, fld: str) -> float:
    try:
        s = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"unrolling {v!r} is not a number", source=src, field=fld) from None
    if s < 1:
        raise InputError(f"unrolling {v!r} must be >= 1", source=src, field=fld)
    return s


def _spatial(raw: object, src: str, fld: str, zigzag: bool) -> SpatialMapping:
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of array dims", source=src, field=fld)
    out: dict[str, list[tuple[str, float]]] = {}
    for oa, loops in raw.items():
        if not isinstance(loops, list):
            loops = [loops]
        items = []
        for item in loops:
            if zigzag or isinstance(item, str):
                parts = [p.strip() for p in str(item).split(",")]
                if len(parts) != 2:
                    raise InputError(
                        f"expected 'DIM, size', got {item!r}", source=src, field=f"{fld}.{oa}"
                    )
                d, s = parts
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                d, s = item
            else:
                raise InputError(
                    f"expected [DIM, size], got {item!r}", source=src, field=f"{fld}.{oa}"
                )
            items.append((_dim(d, src, f"{fld}.{oa}"), _size(s, src, f"{fld}.{oa}")))
        out[str(oa)] = items
    return SpatialMapping.from_dict(out)


def _hint(raw: object, src: str, fld: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of array dims to layer dims", source=src, field=fld)
    return tuple(
        (str(oa), tuple(_dim(d, src, f"{fld}.{oa}") for d in (v if isinstance(v, list) else [v])))
        for oa, v in raw.items()
    )


def load_mapping(path: str | Path) -> MappingSpec:
    """Read our mapping YAML or a ZigZag v3 mapping YAML; InputError on anything invalid."""
    p = Path(path).expanduser()
    src = str(path)
    if not p.is_file():
        raise InputError("file not found", source=src, field="mapping")
    data = read_yaml_file(p)
    zigzag = isinstance(data, list)
    entries_raw = (
        data if zigzag else (data or {}).get("mappings") if isinstance(data, dict) else None
    )
    if not isinstance(entries_raw, list) or not entries_raw:
        raise InputError(
            "expected a list of mapping entries (ZigZag) or a 'mappings:' list",
            source=src, field="mappings",
        )  # fmt: skip
    entries = []
    for i, e in enumerate(entries_raw):
        fld = f"[{i}]" if zigzag else f"mappings[{i}]"
        if not isinstance(e, dict):
            raise InputError("entry must be a mapping", source=src, field=fld)
        key = "name" if zigzag else "layer"
        name = e.get(key)
        if not name:
            raise InputError(f"missing '{key}'", source=src, field=fld)
        allowed = (
            {"name", "spatial_mapping", "spatial_mapping_hint", "memory_operand_links",
             "core_allocation", "temporal_ordering"}
            if zigzag else {"layer", "spatial", "hint"}
        )  # fmt: skip
        unknown = set(e) - allowed
        if unknown:
            raise InputError(
                f"unknown key(s) {sorted(unknown)}", source=src, field=fld, allowed=sorted(allowed)
            )
        if zigzag:
            if e.get("temporal_ordering"):
                raise InputError(
                    "temporal_ordering is not supported (the temporal search is always run)",
                    source=src, field=f"{fld}.temporal_ordering",
                )  # fmt: skip
            links = e.get("memory_operand_links")
            if links is not None and {str(k): str(v) for k, v in links.items()} != _ZZ_LINKS:
                raise InputError(
                    "only the default memory_operand_links are supported",
                    source=src, field=f"{fld}.memory_operand_links", allowed=[str(_ZZ_LINKS)],
                )  # fmt: skip
            sp, hi = e.get("spatial_mapping"), e.get("spatial_mapping_hint")
        else:
            sp, hi = e.get("spatial"), e.get("hint")
        entry = MappingEntry(
            spatial=_spatial(sp, src, f"{fld}.spatial", zigzag) if sp else None,
            hint=_hint(hi, src, f"{fld}.hint") if hi else None,
        )
        entries.append((str(name), entry))
    if zigzag and "default" not in dict(entries):
        raise InputError(
            "a ZigZag mapping needs an entry named 'default'", source=src, field="name"
        )
    return MappingSpec(tuple(entries), src)
