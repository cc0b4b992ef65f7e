"""Per-layer mapping search: ``exhaustive`` (numpy), ``fast`` (compiled), and their config.

The config and the cache are re-exported here; the searches are imported from their modules
(``fast`` loads numba, so it is never imported eagerly).
"""

from carbonspot.mapper.config import (
    DEFAULT_CONFIG,
    DEFAULT_MAPPER,
    MAPPERS,
    MapperConfig,
    MappingCache,
)

__all__ = ["DEFAULT_CONFIG", "DEFAULT_MAPPER", "MAPPERS", "MapperConfig", "MappingCache"]
