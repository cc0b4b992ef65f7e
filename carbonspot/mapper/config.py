"""What a mapper search is given besides the layer: its knobs and the cache it may fill.

:class:`MapperConfig` is frozen and hashable: every cache that holds a search result (the
spatial candidates of :class:`MappingCache`, the layer results of
:class:`carbonspot.evaluate.Evaluator`) has the config in its key, so two configs never
share an entry. :class:`MappingCache` is an object, not a module global: an evaluator owns
one, and callers that evaluate many designs in one process keep one evaluator (and so one
cache) for all of them.

``LPF_LIMIT`` (carbonspot.mapper.exhaustive) is not a knob: the compiled kernel has the same
limit built in, so both mappers search the same loop orderings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

from carbonspot.errors import InputError

# Searches returning the same per-layer optimum: ``fast`` (branch-and-bound, compiled,
# carbonspot.mapper.fast) and ``exhaustive`` (every candidate, numpy; for verification).
MAPPERS = ("fast", "exhaustive")
DEFAULT_MAPPER = "fast"


@dataclass(frozen=True)
class MapperConfig:
    """The mapper's knobs; the default instance is the search the presets are defined by.

    ``kind``: which search (:data:`MAPPERS`, both return the same optimum).
    ``spatial_per_dim``: spatial candidates kept per array dimension, best utilisation first
    (``None`` = all, the ``corrected`` search; the ``carbonspot2025`` preset keeps two
    whatever this says).
    ``mix_pool_limit``: above this many prime factors (or more than 3 hinted dims) the mixed
    unrollings are listed as divisor tuples instead of the original's combinations of prime
    factors (the same set; only their order among equal products can differ).
    """

    kind: str = DEFAULT_MAPPER
    spatial_per_dim: int | None = None
    mix_pool_limit: int = 12

    def __post_init__(self) -> None:
        if self.kind not in MAPPERS:
            raise InputError(f"unknown mapper {self.kind!r}", field="--mapper", allowed=MAPPERS)
        if self.spatial_per_dim is not None and (
            not isinstance(self.spatial_per_dim, int) or self.spatial_per_dim < 1
        ):
            raise InputError(
                f"spatial_per_dim must be None or a positive integer, not {self.spatial_per_dim!r}",
                field="spatial_per_dim",
            )
        if not isinstance(self.mix_pool_limit, int) or self.mix_pool_limit < 0:
            raise InputError(
                f"mix_pool_limit must be a non-negative integer, not {self.mix_pool_limit!r}",
                field="mix_pool_limit",
            )

    def with_kind(self, kind: str) -> MapperConfig:
        """The same knobs with another search (``self`` when it already is that one)."""
        return self if kind == self.kind else replace(self, kind=kind)


DEFAULT_CONFIG = MapperConfig()


class MappingCache:
    """Spatial candidate lists of the mapper, by a key that includes the MapperConfig.

    Bounded: when it holds more than ``max_entries`` lists it starts again empty (lists are
    cheap to rebuild, and a sweep's working set is far smaller).
    """

    def __init__(self, max_entries: int = 50000) -> None:
        self.max_entries = max_entries
        self._spatial: dict[Hashable, Any] = {}

    def spatial(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The entry under ``key``, built by ``build()`` on first use."""
        hit = self._spatial.get(key)
        if hit is None:
            hit = build()
            if len(self._spatial) > self.max_entries:
                self._spatial.clear()
            self._spatial[key] = hit
        return hit

    def clear(self) -> None:
        """Forget every entry."""
        self._spatial.clear()

    def __len__(self) -> int:
        return len(self._spatial)
