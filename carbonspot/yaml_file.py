"""Reading YAML input files: every problem becomes one :class:`InputError` naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from carbonspot.errors import InputError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: str | Path) -> str:
    """A file's text, or an :class:`InputError` naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "cannot read: file not found",
            source=str(path),
            field="path",
            allowed="an existing file",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read file ({type(exc).__name__})",
            source=str(path),
            field="path",
            allowed="a readable UTF-8 text file",
        ) from None


def parse_yaml_text(text: str, source: str) -> Any:
    """Safe-load YAML text; syntax and value errors name the line and column."""
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(
            f"not valid YAML{where}: {problem}",
            source=source,
            field="(syntax)",
            allowed="valid YAML",
        ) from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. bad timestamps, deep nesting
        raise InputError(
            f"not valid YAML: {exc}".splitlines()[0],
            source=source,
            field="(syntax)",
            allowed="valid YAML",
        ) from None


def read_yaml_file(path: str | Path) -> Any:
    """Read and safe-load a YAML file, or raise one :class:`InputError` naming it."""
    return parse_yaml_text(read_text(path), str(path))
