"""Design-space (sweep) files: read and validate the YAML, write result rows as CSV.

Schema (docs/sweep.md)::

    name: paper-tiny                 # optional, default: the file name
    preset: carbonspot2025           # optional, default: corrected
    objective: edp                   # optional: edp | energy | latency
    mapper: fast                     # optional: fast | exhaustive (same optimum)
    suite: tiny                      # either a suite ...
    workloads: [ae, ds_cnn]          # ... or zoo names / model paths (relative to this file)
    period_s: 0.04                   # optional: one period, or {workload: seconds}
    carbon: {dram_gb: 0.0009765625}  # optional carbon-parameter overrides
    designs:                         # one or more blocks; each is a Cartesian product
      - template: [pdigital_os, dimc]  # a name or a list
        params:                        # each a value or a list of values
          sram_bytes: [8192, 32768]
          dim: [128, 64]
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from carbonspot.design import OBJECTIVES
from carbonspot.errors import InputError
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER, MAPPERS
from carbonspot.presets import PRESETS
from carbonspot.search.sweep import DesignBlock, SweepSpec
from carbonspot.yaml_file import read_yaml_file

TOP_KEYS = (
    "name",
    "description",
    "preset",
    "objective",
    "mapper",
    "suite",
    "workloads",
    "period_s",
    "carbon",
    "designs",
)
BLOCK_KEYS = ("template", "params")
SUITES = ("tiny", "mobile")


def _is_path_like(name: str) -> bool:
    return "/" in name or name.endswith((".onnx", ".yaml", ".yml"))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _scalar_ok(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


def _known_templates() -> tuple[str, ...]:
    """Template names of the hardware model."""
    from carbonspot.hardware.templates import TEMPLATE_NAMES

    return tuple(TEMPLATE_NAMES)


def _known_params(template: str) -> tuple[str, ...]:
    """Parameter names of a template."""
    from carbonspot.hardware.templates import TEMPLATE_PARAMS

    return tuple(sorted(TEMPLATE_PARAMS[template]))


def _param_kind(template: str, key: str) -> type:
    """Python type of a template parameter (int or float)."""
    from carbonspot.hardware.templates import TEMPLATE_PARAMS

    return TEMPLATE_PARAMS[template][key].kind


def _kind_ok(value: Any, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return kind is not int or float(value).is_integer()


def load_sweep_file(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every problem is one :class:`InputError`."""
    path = Path(path)
    src = str(path)
    data = read_yaml_file(path)
    return parse_sweep(data, src, base_dir=path.resolve().parent)


def parse_sweep(data: Any, source: str, base_dir: Path | None = None) -> SweepSpec:
    """Validate an already-parsed sweep mapping (``source`` names it in errors)."""
    if not isinstance(data, Mapping):
        raise InputError("must be a mapping of sweep settings", source=source, allowed=TOP_KEYS)
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r}", source=source, field=unknown[0], allowed=TOP_KEYS
        )

    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise InputError("must be a non-empty string", source=source, field="name")

    preset = data.get("preset", "corrected")
    if preset not in PRESETS:
        raise InputError(
            f"unknown preset {preset!r}", source=source, field="preset", allowed=sorted(PRESETS)
        )
    objective = data.get("objective", "edp")
    if objective not in OBJECTIVES:
        raise InputError(
            f"unknown objective {objective!r}", source=source, field="objective", allowed=OBJECTIVES
        )

    mapper = parse_mapper(data.get("mapper", DEFAULT_MAPPER), source)
    suite, workloads = parse_workloads(data, source, base_dir)
    period_s = parse_period(data.get("period_s"), source)
    carbon = parse_carbon(data.get("carbon"), source)

    blocks = _parse_blocks(data.get("designs"), source)
    return SweepSpec(
        source=source,
        name=name,
        preset=preset,
        objective=objective,
        workloads=workloads,
        suite=suite,
        blocks=blocks,
        carbon=carbon,
        period_s=period_s,
        mapper=mapper,
    )


def parse_mapper(raw: Any, source: str) -> str:
    """``mapper``: the per-layer search of a sweep or study file (``fast`` or ``exhaustive``)."""
    if not isinstance(raw, str) or raw not in MAPPERS:
        raise InputError(f"unknown mapper {raw!r}", source=source, field="mapper", allowed=MAPPERS)
    return raw


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def parse_workloads(
    data: Mapping[str, Any], source: str, base_dir: Path | None = None
) -> tuple[str | None, tuple[str, ...]]:
    """``(suite, workloads)`` of a sweep or study file: exactly one of the two keys.

    Relative workload paths are resolved against ``base_dir`` (the file's folder).
    """
    suite = data.get("suite")
    workloads_raw = data.get("workloads")
    if (suite is None) == (workloads_raw is None):
        raise InputError(
            "give exactly one of 'suite' and 'workloads'", source=source, field="workloads"
        )
    if suite is not None:
        if suite not in SUITES:
            raise InputError(
                f"unknown suite {suite!r}", source=source, field="suite", allowed=SUITES
            )
        return suite, ()
    items = _as_list(workloads_raw)
    if not items or not all(isinstance(w, str) and w for w in items):
        raise InputError(
            "must be a workload name or path, or a non-empty list of them",
            source=source,
            field="workloads",
        )
    resolved = []
    for w in items:
        if _is_path_like(w) and base_dir is not None and not Path(w).is_absolute():
            w = str((base_dir / w).resolve())
        resolved.append(w)
    return None, tuple(resolved)


def parse_period(raw: Any, source: str) -> float | tuple[tuple[str, float], ...] | None:
    """``period_s``: seconds for every workload, ``{workload: seconds}``, or absent."""
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if not _positive_number(value):
                raise InputError(
                    "must be a positive number of seconds", source=source, field=f"period_s.{key}"
                )
        return tuple((str(k), float(v)) for k, v in raw.items())
    if _positive_number(raw):
        return float(raw)
    raise InputError(
        "must be a positive number of seconds or {workload: seconds}",
        source=source,
        field="period_s",
    )


def parse_carbon(raw: Any, source: str) -> tuple[tuple[str, Any], ...]:
    """``carbon``: a mapping of carbon parameter to a finite scalar (checked later by name)."""
    carbon = raw or {}
    if not isinstance(carbon, Mapping) or not all(_scalar_ok(v) for v in carbon.values()):
        raise InputError(
            "must be a mapping of carbon parameter to a value", source=source, field="carbon"
        )
    return tuple((str(k), v) for k, v in carbon.items())


def _parse_blocks(raw: Any, source: str) -> tuple[DesignBlock, ...]:
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise InputError(
            "must be a non-empty list of {template, params} blocks", source=source, field="designs"
        )
    templates_known = _known_templates()
    blocks = []
    for i, block in enumerate(raw):
        where = f"designs[{i}]"
        if not isinstance(block, Mapping):
            raise InputError(
                "must be a mapping with 'template' and 'params'",
                source=source,
                field=where,
                allowed=BLOCK_KEYS,
            )
        unknown = sorted(set(block) - set(BLOCK_KEYS))
        if unknown:
            raise InputError(
                f"unknown key {unknown[0]!r}",
                source=source,
                field=f"{where}.{unknown[0]}",
                allowed=BLOCK_KEYS,
            )
        templates = _as_list(block.get("template"))
        if not templates or not all(isinstance(t, str) and t for t in templates):
            raise InputError(
                "must be a template name or a list of them",
                source=source,
                field=f"{where}.template",
                allowed=templates_known,
            )
        for t in templates:
            if t not in templates_known:
                raise InputError(
                    f"unknown template {t!r}",
                    source=source,
                    field=f"{where}.template",
                    allowed=templates_known,
                )
        params_raw = block.get("params", {}) or {}
        if not isinstance(params_raw, Mapping):
            raise InputError(
                "must be a mapping of parameter to a value or a list of values",
                source=source,
                field=f"{where}.params",
            )
        params = []
        for key, value in params_raw.items():
            values = _as_list(value)
            if not values or not all(_scalar_ok(v) for v in values):
                raise InputError(
                    "must be a number/string or a non-empty list of them",
                    source=source,
                    field=f"{where}.params.{key}",
                )
            if len(set(map(repr, values))) != len(values):
                raise InputError(
                    "lists a value twice", source=source, field=f"{where}.params.{key}"
                )
            for t in templates:
                allowed = _known_params(t)
                if key not in allowed:
                    raise InputError(
                        f"template {t!r} has no parameter {key!r}",
                        source=source,
                        field=f"{where}.params.{key}",
                        allowed=allowed,
                    )
                kind = _param_kind(t, key)
                for v in values:
                    if not _kind_ok(v, kind):
                        raise InputError(
                            f"{v!r} is not {'an integer' if kind is int else 'a number'}",
                            source=source,
                            field=f"{where}.params.{key}",
                        )
            params.append((str(key), tuple(values)))
        blocks.append(DesignBlock(tuple(templates), tuple(params)))
    return tuple(blocks)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    try:  # numpy scalars
        import numpy as np

        if isinstance(value, np.bool_):
            return "True" if value else "False"
        if isinstance(value, np.integer):
            return str(int(value))
        if isinstance(value, np.floating):
            return _csv_cell(float(value))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, (dict, list)):  # e.g. a study trial's nested metrics
        return json.dumps(value, sort_keys=True)
    return str(value)


def write_rows_csv(
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    columns: Sequence[str],
    field: str = "--out",
) -> None:
    """Write rows as CSV with the given columns (missing cells and NaN are empty)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_csv_cell(row.get(c)) for c in columns])
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", source=str(path), field=field) from None
