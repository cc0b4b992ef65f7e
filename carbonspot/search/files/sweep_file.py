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

from carbonspot.errors import InputError
from carbonspot.hardware.templates import TEMPLATE_NAMES
from carbonspot.search.files.common import (
    HEADER_KEYS,
    as_list,
    check_param_values,
    parse_header,
    scalar_ok,
    template_param,
)
from carbonspot.search.sweep import DesignBlock, SweepSpec
from carbonspot.yaml_file import read_yaml_file

TOP_KEYS = (*HEADER_KEYS, "designs")
BLOCK_KEYS = ("template", "params")


def load_sweep_file(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every problem is one :class:`InputError`."""
    path = Path(path)
    src = str(path)
    data = read_yaml_file(path)
    return parse_sweep(data, src, base_dir=path.resolve().parent)


def parse_sweep(data: Any, source: str, base_dir: Path | None = None) -> SweepSpec:
    """Validate an already-parsed sweep mapping (``source`` names it in errors)."""
    head = parse_header(data, source, TOP_KEYS, base_dir)
    blocks = _parse_blocks(data.get("designs"), source)
    return SweepSpec(source=source, blocks=blocks, **head.spec_fields())


def _parse_blocks(raw: Any, source: str) -> tuple[DesignBlock, ...]:
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise InputError(
            "must be a non-empty list of {template, params} blocks", source=source, field="designs"
        )
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
        templates = as_list(block.get("template"))
        if not templates or not all(isinstance(t, str) and t for t in templates):
            raise InputError(
                "must be a template name or a list of them",
                source=source,
                field=f"{where}.template",
                allowed=TEMPLATE_NAMES,
            )
        for t in templates:
            if t not in TEMPLATE_NAMES:
                raise InputError(
                    f"unknown template {t!r}",
                    source=source,
                    field=f"{where}.template",
                    allowed=TEMPLATE_NAMES,
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
            field = f"{where}.params.{key}"
            values = as_list(value)
            if not values or not all(scalar_ok(v) for v in values):
                raise InputError(
                    "must be a number/string or a non-empty list of them",
                    source=source,
                    field=field,
                )
            if len(set(map(repr, values))) != len(values):
                raise InputError("lists a value twice", source=source, field=field)
            param = template_param(str(key), templates, source, field)
            check_param_values(param, values, source, field)
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
