"""Printing helpers shared by sub-commands: JSON that understands numpy, and plain tables."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import numpy as np

from carbonspot.formatting import format_value


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and dataclass-like mappings into JSON types."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def print_json(obj: Any, stream: TextIO | None = None) -> None:
    """Write ``obj`` as indented JSON followed by a newline."""
    stream = stream or sys.stdout
    json.dump(to_jsonable(obj), stream, indent=2)
    stream.write("\n")


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Print rows of dicts as an aligned text table (numbers right-aligned)."""
    stream = stream or sys.stdout
    if not rows:
        stream.write("(no rows)\n")
        return
    columns = list(columns or rows[0].keys())
    cells = [[format_value(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(r.get(c), (int, float, np.number)) for r in rows if r.get(c) is not None)
        for c in columns
    ]
    stream.write(
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    stream.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        parts = [
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(row, widths, numeric, strict=True)
        ]
        stream.write("  ".join(parts).rstrip() + "\n")
