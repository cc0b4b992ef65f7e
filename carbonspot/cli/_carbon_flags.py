"""The model-preset and carbon flags of the sub-commands, defined and read in one place.

``--preset NAME`` picks the model preset (the same name selects the carbon defaults);
``--carbon KEY=VALUE[,KEY=VALUE]`` (repeatable), ``--carbon-file FILE`` and
``--carbon-preset NAME`` override the carbon parameters (docs/carbon-model.md). The carbon logic
itself — keys, tables, presets, checks — lives in :mod:`carbonspot.carbon.params`; this module
only turns flags into its inputs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from carbonspot.carbon.model import CarbonParams
from carbonspot.carbon.params import (
    CARBON_KEYS,
    CARBON_PRESETS,
    get_carbon_params,
    parse_carbon_overrides,
    read_carbon_file,
)
from carbonspot.errors import InputError
from carbonspot.presets import PRESETS


def add_preset_argument(
    parser: argparse.ArgumentParser,
    *,
    names: Sequence[str] = tuple(sorted(PRESETS)),
    default: str | None = None,
    help: str = "model preset (default: corrected)",
) -> None:
    """Add ``--preset NAME``; a bad name is reported by the preset's own check (one line)."""
    parser.add_argument("--preset", default=default, metavar="{" + ",".join(names) + "}", help=help)


def add_carbon_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--carbon key=value[,key=value]`` (repeatable), ``--carbon-file`` and ``--carbon-preset``."""
    parser.add_argument(
        "--carbon",
        action="append",
        metavar="KEY=VALUE[,KEY=VALUE]",
        help="override carbon parameters; keys: " + ", ".join(CARBON_KEYS),
    )
    parser.add_argument(
        "--carbon-file", metavar="FILE", help="YAML file of carbon parameter overrides"
    )
    parser.add_argument(
        "--carbon-preset",
        metavar="NAME",
        help="carbon defaults to start from (corrected, carbonspot2025, act); "
        "default: the same name as --preset",
    )


@dataclass(frozen=True)
class CarbonFlags:
    """What the carbon flags say: the carbon preset, the overrides and where they came from."""

    preset: str | None
    overrides: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # "FILE + --carbon", for error messages

    def params(self) -> CarbonParams:
        """The carbon parameters these flags select."""
        return get_carbon_params(self.preset, self.overrides, source=self.source)


def carbon_flags(args: argparse.Namespace, preset_name: str | None = None) -> CarbonFlags:
    """The carbon flags of ``args``: ``--carbon-preset`` (else ``preset_name`` or ``--preset``),
    then ``--carbon-file``, then ``--carbon`` (the command line wins over the file)."""
    preset = preset_name if preset_name is not None else getattr(args, "preset", None)
    if getattr(args, "carbon_preset", None):
        preset = args.carbon_preset
        if preset not in CARBON_PRESETS:
            raise InputError(
                f"unknown carbon preset {preset!r}", field="--carbon-preset", allowed=CARBON_PRESETS
            )
    overrides: dict[str, Any] = {}
    sources = []
    if getattr(args, "carbon_file", None):
        overrides.update(read_carbon_file(args.carbon_file))
        sources.append(str(args.carbon_file))
    if getattr(args, "carbon", None):
        overrides.update(parse_carbon_overrides(args.carbon))
        sources.append("--carbon")
    return CarbonFlags(preset, overrides, " + ".join(sources) or None)


def carbon_params_from_args(
    args: argparse.Namespace, preset_name: str | None = None
) -> CarbonParams:
    """CarbonParams from the carbon flags (see :func:`carbon_flags`)."""
    return carbon_flags(args, preset_name).params()
