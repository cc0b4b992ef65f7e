"""Read a user mapping: our mapping YAML or a ZigZag v3 mapping YAML (zigzag-model.md §2.3).

Our format::

    mappings:
      - layer: default            # or a layer name, or an operator (Conv, Gemm, MatMul, Pool)
        spatial: {D1: [[K, 32]], D2: [[C, 16], [FX, 3]]}   # optional: fixed unrolling
        hint: {D1: [K], D2: [C, FX, FY]}                  # optional: search restricted to

ZigZag v3: a list of entries with ``name`` (``default`` mandatory), ``spatial_mapping``
(``{D1: ["K, 32"], …}``) and/or ``spatial_mapping_hint``; ``memory_operand_links`` must be
the default ``{O: O, W: I2, I: I1}``. Keys read but not applied, each with an
:class:`~carbonspot.errors.InputWarning` naming it:

* ``temporal_ordering`` — CarbonSpot always searches the loop order (its allocator over every
  ordering of the layer's prime factors, docs/mapper.md); the chosen order is reported with
  the result. ZigZag's allocation of a given order is not reproduced exactly
  (docs/zigzag-parity.md, "LOMA's allocator");
* ``core_allocation`` — one core is modelled.

A ZigZag file may name generic layer dims (the GEMM examples' ``D0, D1, D2``): they are kept
as written and must be renamed to our loop dims with :meth:`MappingSpec.with_dim_names`
(the roles the workload's equation gives them) before the mapping is used.

An entry is chosen per layer by name, then operator, then ``default`` (ZigZag's priority).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from carbonspot.errors import InputError, warn_input
from carbonspot.mapping.model import SpatialMapping
from carbonspot.workload.model import LOOP_DIMS, Layer
from carbonspot.yaml_file import read_yaml_file

_ZZ_LINKS = {"O": "O", "W": "I2", "I": "I1"}
_GENERIC_DIM = re.compile(r"^[A-Za-z_]\w*$")


@dataclass(frozen=True)
class MappingEntry:
    """One entry: a fixed spatial mapping and/or a hint (either may be None)."""

    spatial: SpatialMapping | None = None
    hint: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @property
    def generic_dims(self) -> tuple[str, ...]:
        """Layer dims named in the entry that are not CarbonSpot loop dims (ZigZag only)."""
        names = [
            d for _, loops in (self.spatial.unrollings if self.spatial else ()) for d, _ in loops
        ]
        names += [d for _, dims in (self.hint or ()) for d in dims]
        return tuple(sorted({d for d in names if d not in LOOP_DIMS}))

    def renamed(self, names: dict[str, str]) -> MappingEntry:
        """The entry with its layer dims renamed by ``names`` (others kept)."""
        spatial = None
        if self.spatial is not None:
            spatial = SpatialMapping(
                tuple(
                    (oa, tuple((names.get(d, d), s) for d, s in loops))
                    for oa, loops in self.spatial.unrollings
                )
            )
        hint = None
        if self.hint is not None:
            hint = tuple((oa, tuple(names.get(d, d) for d in dims)) for oa, dims in self.hint)
        return MappingEntry(spatial=spatial, hint=hint)


@dataclass(frozen=True)
class MappingSpec:
    """Mapping entries by layer name / operator / ``default``."""

    entries: tuple[tuple[str, MappingEntry], ...] = field(default_factory=tuple)
    source: str = ""

    def entry_for(self, layer: Layer) -> MappingEntry | None:
        """The entry for ``layer``: by name, then operator, then ``default``."""
        table = dict(self.entries)
        for key in (layer.name, layer.operator, "default"):
            if key in table:
                entry = table[key]
                generic = entry.generic_dims
                if generic:
                    raise InputError(
                        f"layer dimension(s) {list(generic)} are not CarbonSpot loop dims; "
                        "rename them to the workload's roles first (MappingSpec.with_dim_names)",
                        source=self.source, field=key, allowed=LOOP_DIMS,
                    )  # fmt: skip
                return entry
        return None

    def with_dim_names(self, names: dict[str, str]) -> MappingSpec:
        """The mapping with generic layer dims renamed, e.g. ``{"D0": "B", "D1": "K", "D2": "C"}``."""
        bad = sorted(v for v in names.values() if v not in LOOP_DIMS)
        if bad:
            raise InputError(f"unknown loop dims {bad}", source=self.source, allowed=LOOP_DIMS)
        return MappingSpec(tuple((n, e.renamed(names)) for n, e in self.entries), self.source)

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


def _dim(name: object, src: str, fld: str, zigzag: bool = False) -> str:
    d = str(name).strip().upper()
    if d not in LOOP_DIMS and not (zigzag and _GENERIC_DIM.match(d)):
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
            items.append((_dim(d, src, f"{fld}.{oa}", zigzag), _size(s, src, f"{fld}.{oa}")))
        out[str(oa)] = items
    return SpatialMapping.from_dict(out)


def _hint(
    raw: object, src: str, fld: str, zigzag: bool = False
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of array dims to layer dims", source=src, field=fld)
    return tuple(
        (
            str(oa),
            tuple(_dim(d, src, f"{fld}.{oa}", zigzag) for d in (v if isinstance(v, list) else [v])),
        )
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
                warn_input(
                    "temporal_ordering is ignored: CarbonSpot searches every loop order instead "
                    "(docs/zigzag-parity.md)",
                    source=src, field=f"{fld}.temporal_ordering",
                )  # fmt: skip
            if e.get("core_allocation") is not None:
                warn_input(
                    "core_allocation is ignored: one core is modelled",
                    source=src, field=f"{fld}.core_allocation",
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
            hint=_hint(hi, src, f"{fld}.hint", zigzag) if hi else None,
        )
        entries.append((str(name), entry))
    if zigzag and "default" not in dict(entries):
        raise InputError(
            "a ZigZag mapping needs an entry named 'default'", source=src, field="name"
        )
    return MappingSpec(tuple(entries), src)
