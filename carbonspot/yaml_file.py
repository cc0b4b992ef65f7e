"""Reading YAML input files: every problem becomes one :class:`InputError` naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml

from carbonspot.errors import InputError, warn_input

# What to do with a key given twice in one mapping: "error" (our own formats), "last" (keep
# the last one and warn: ZigZag's files are read as PyYAML reads them), "ignore" (keep the
# last one silently: only to sniff a file's format before it is read for real)
Duplicates = Literal["error", "last", "ignore"]

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(Exception):
    """A mapping lists a key twice (YAML says keys are unique; PyYAML keeps the last)."""

    def __init__(self, key: Any, first_line: int, second_line: int) -> None:
        super().__init__(key)
        self.key, self.first_line, self.second_line = key, first_line, second_line


class _UniqueKeyLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, rejecting a key repeated in one mapping instead of keeping the last.

    With ``keep_last`` it records the repeats in ``duplicates`` and keeps the last value.
    """

    keep_last = False

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # `<<: *anchor` merges may be overridden by explicit keys
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # unhashable keys: the base constructor reports them
            line = key_node.start_mark.line + 1
            if key in seen:
                if not self.keep_last:
                    raise _DuplicateKey(key, seen[key], line)
                self.duplicates.append(_DuplicateKey(key, seen[key], line))
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _load(text: str, duplicates: Duplicates) -> tuple[Any, list[_DuplicateKey]]:
    loader = _UniqueKeyLoader(text)
    loader.keep_last = duplicates != "error"
    loader.duplicates = []
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


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


def parse_yaml_text(text: str, source: str, duplicates: Duplicates = "error") -> Any:
    """Safe-load YAML text; syntax errors and repeated keys name the line(s)."""
    try:
        doc, repeats = _load(text, duplicates)
        if duplicates == "last":
            for dup in repeats:
                warn_input(
                    f"key {dup.key!r} is given twice, at lines {dup.first_line} and "
                    f"{dup.second_line}; the second one is used, as ZigZag does",
                    source=source,
                    field=str(dup.key),
                )
        return doc
    except _DuplicateKey as dup:
        raise InputError(
            f"key {dup.key!r} is given twice, at lines {dup.first_line} and {dup.second_line}",
            source=source,
            field=str(dup.key),
            allowed="each key once per mapping",
        ) from None
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


def read_yaml_file(path: str | Path, duplicates: Duplicates = "error") -> Any:
    """Read and safe-load a YAML file, or raise one :class:`InputError` naming it."""
    return parse_yaml_text(read_text(path), str(path), duplicates)
