"""Load the literature chip table (built-in ``carbonspot/data/literature_chips.csv``) and
users' own chip files with the same columns."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from carbonspot.errors import InputError
from carbonspot.paths import data_file

REQUIRED_COLUMNS = ("id", "node_nm", "tops_per_w", "tops", "tops_per_mm2")
OPTIONAL_COLUMNS = (
    "name",
    "doi",
    "year",
    "type",
    "ops_per_cycle",
    "die_area_mm2",
    "network_bytes",
    "int8_factor",
    "int8_note",
    "as_coded",
    "source",
)
_NUMERIC = ("node_nm", "tops_per_w", "tops", "tops_per_mm2")


@dataclass(frozen=True)
class Chip:
    """One published accelerator, metrics normalised to INT8 operations."""

    id: int | str  # citation number in the paper's figure for the built-in chips
    node_nm: float
    tops_per_w: float
    tops: float
    tops_per_mm2: float
    name: str = ""  # short name, e.g. "CICC'23 DIMC 28nm iMCU" (venue'year type node [name])
    doi: str = ""
    year: str = ""
    type: str = ""
    ops_per_cycle: str = ""
    int8_factor: str = ""
    int8_note: str = ""

    @property
    def label(self) -> str:
        """What tables and figures call the chip: its short name, else its id."""
        return self.name or str(self.id)

    @property
    def reference(self) -> str:
        """A link to the chip's paper: ``https://doi.org/<doi>`` (or the IEEE Xplore page)."""
        doi = self.doi.strip()
        if doi.startswith("10."):
            return f"https://doi.org/{doi}"
        if doi.startswith("ieeexplore:"):
            return f"https://ieeexplore.ieee.org/document/{doi.split(':', 1)[1]}"
        return doi

    @property
    def area_mm2(self) -> float:
        """Implied compute area TOP/s ÷ TOP/s/mm²."""
        return self.tops / self.tops_per_mm2


def builtin_chips_path() -> Path:
    """The shipped table of the 13 chips of the original's figure (carbonspot-model.md §2.1.1).

    Short names: venue and year (from the DOI), type and node, the chip's name where the
    reference gives one (iMCU, PIMCA, COMB-MCM) and the native precision of chips measured
    below 8 bits (1b, 4b).
    """
    return data_file("literature_chips.csv")


def read_chips(path: str | Path) -> list[Chip]:
    """Chips from a CSV file with at least the columns ``REQUIRED_COLUMNS``."""
    p = Path(path)
    try:
        with p.open(newline="") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            rows = list(reader)
    except OSError as exc:
        raise InputError(f"cannot read chip file ({exc.strerror})", source=str(p)) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}",
            source=str(p),
            allowed=(*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS),
        )
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InputError(
            f"unknown column(s) {', '.join(unknown)}",
            source=str(p),
            allowed=(*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS),
        )
    chips = []
    for line, row in enumerate(rows, start=2):
        values = {}
        for col in _NUMERIC:
            try:
                values[col] = float(row[col])
            except (TypeError, ValueError):
                raise InputError(
                    f"line {line}: {row[col]!r} is not a number", source=str(p), field=col
                ) from None
            if not (math.isfinite(values[col]) and values[col] > 0):
                raise InputError(
                    f"line {line}: must be a positive number", source=str(p), field=col
                )
        ident = (row["id"] or "").strip()
        if not ident:
            raise InputError(f"line {line}: empty id", source=str(p), field="id")
        extra = {c: (row.get(c) or "").strip() for c in Chip.__dataclass_fields__ if c in row}
        extra.pop("id", None)
        for col in _NUMERIC:
            extra.pop(col, None)
        chips.append(Chip(id=int(ident) if ident.isdigit() else ident, **values, **extra))
    return chips


def load_chips(extra_files: list[str | Path] | None = None, builtin: bool = True) -> list[Chip]:
    """Built-in chips followed by the chips of ``extra_files``; ids must be unique."""
    chips = read_chips(builtin_chips_path()) if builtin else []
    for f in extra_files or []:
        chips.extend(read_chips(f))
    seen: set[str] = set()
    for c in chips:
        key = str(c.id)
        if key in seen:
            raise InputError(f"chip id {c.id!r} appears twice", field="id")
        seen.add(key)
    if not chips:
        raise InputError("no chips to evaluate", field="--chips")
    return chips
