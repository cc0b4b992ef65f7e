"""Model presets: ``corrected`` (default) and ``carbonspot2025`` (reproduces the original).

Each flag names one quirk of the original CarbonSpot/ZigZag (carbonspot-model.md §13). The
``carbonspot2025`` preset turns every quirk on so the published numbers come out; the
``corrected`` preset turns them off. docs/model-differences.md lists each flag and its effect.
Flags are grouped by the model that reads them; add a flag in the group of your model.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from carbonspot.errors import InputError


@dataclass(frozen=True)
class Preset:
    """A named set of model switches (True = behave like the original)."""

    name: str
    # --- hardware (area, clock, energy per op) ---------------------------------------------
    # --- memories --------------------------------------------------------------------------
    # --- cost model and mapper -------------------------------------------------------------
    # --- carbon ----------------------------------------------------------------------------
    # DRAM g/GB differs between CA (230·(28/30)²) and PA (200·(28/30)²) (carbonspot-model.md §13.2)
    carbon_dram_split_ca_pa: bool
    # hard-coded CI_fab g/mm² table incl. its 22/12/10 nm mismatches (carbonspot-model.md §1, §13.3)
    carbon_ci_fab_table_2025: bool
    # PA with latency > period silently charges latency/period chips (§2.2, §13.11)
    carbon_pa_more_chips: bool
    # literature model never scales PA by latency/period, whatever the PA rule (§2.1)
    carbon_literature_ignores_overrun: bool

    @classmethod
    def flag_names(cls) -> list[str]:
        """Names of all quirk flags."""
        return [f.name for f in fields(cls) if f.name != "name"]


def _make(name: str, quirks: bool) -> Preset:
    return Preset(name, **{flag: quirks for flag in Preset.flag_names()})


PRESETS: dict[str, Preset] = {
    "corrected": _make("corrected", False),
    "carbonspot2025": _make("carbonspot2025", True),
}
DEFAULT_PRESET = "corrected"


def get_preset(name: str | Preset | None) -> Preset:
    """Look a preset up by name (``None`` gives the default)."""
    if isinstance(name, Preset):
        return name
    key = name or DEFAULT_PRESET
    try:
        return PRESETS[key]
    except KeyError:
        raise InputError(
            f"unknown preset {key!r}", field="--preset", allowed=sorted(PRESETS)
        ) from None
