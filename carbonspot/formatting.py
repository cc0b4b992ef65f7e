"""Text formatting of numbers shared by the CLI tables and the report tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def format_value(value: Any) -> str:
    """Human-readable cell: 4 significant digits, thousands separators for whole numbers."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "-"
        if v == 0:
            return "0"
        if v.is_integer() and abs(v) < 1e9:  # cycle counts, bytes: exact with separators
            return f"{int(v):,}"
        if 1e-3 <= abs(v) < 1e6:
            return f"{v:.4g}"
        return f"{v:.3e}"
    if isinstance(value, (list, tuple)):
        return "x".join(format_value(v) for v in value)
    return "" if value is None else str(value)
