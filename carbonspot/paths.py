"""Locations of files shipped inside the package (never relative to the working directory)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


def data_file(*parts: str) -> Path:
    """Path of a data file shipped with the package, e.g. ``data_file("sram_table.csv")``."""
    return DATA_DIR.joinpath(*parts)
