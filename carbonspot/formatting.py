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


# What every carbon column of a table is: one phrase, the same in every command's tables.
CARBON_UNIT = "g CO₂-eq per inference"
CARBON_LEGEND = f"carbon_*_g: {CARBON_UNIT}; CA = continuous-active, PA = periodically-active"
NAME_WIDTH = 40  # table cells of names (ONNX node names can run to hundreds of characters)
ELLIPSIS = "…"


def shorten_middle(text: str, width: int = NAME_WIDTH, head: int | None = None) -> str:
    """``text`` cut in the middle to ``width`` characters, keeping its distinguishing tail.

    ``head`` characters of the start are kept (default a third of the room), the rest of the
    room goes to the tail: ONNX and TFLite names differ at the end (``…/layer1.0/conv1/Conv``).
    Text that fits is returned unchanged.
    """
    if len(text) <= width:
        return text
    room = max(width - len(ELLIPSIS), 2)
    head = room // 3 if head is None else min(head, room - 1)
    return text[:head] + ELLIPSIS + text[len(text) - (room - head) :]


def shorten_names(names: list[str], width: int = NAME_WIDTH) -> list[str]:
    """Each name shortened by :func:`shorten_middle`, distinct names kept distinct.

    Names whose shortened forms collide keep the same head and more of their tail, a few
    characters at a time, until they differ (at worst in full).
    """
    head = (max(width - len(ELLIPSIS), 2)) // 3
    widths = dict.fromkeys(names, width)
    while True:
        short = {n: shorten_middle(n, w, head) for n, w in widths.items()}
        by_short: dict[str, list[str]] = {}
        for n, s in short.items():
            by_short.setdefault(s, []).append(n)
        clashes = [n for group in by_short.values() if len(group) > 1 for n in group]
        grow = [n for n in clashes if len(short[n]) < len(n)]
        if not grow:
            return [short[n] for n in names]
        for n in grow:
            widths[n] += 4
