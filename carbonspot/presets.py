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
    # WS adder-tree area: inputs of in·w bits (64) instead of in+w (16) (§3.3, §13.4)
    ws_tree_input_bits_product: bool
    # WS adder-tree area: D2·D3 trees instead of D1·D3 (§3.3, §13.4)
    ws_tree_count_d2: bool
    # digital peak energy per cycle = 1 pJ per MAC (the ×0.25 pJ is missing) (§3.2, §13.4)
    digital_peak_energy_omits_mac: bool
    # AIMC accumulator energy width P_in+P_w+log2 BL instead of the area's P_in+P_w+ADC (§13.5)
    aimc_acc_energy_log2_bl: bool
    # zigzag-imc delays: DIMC accumulator delay without accumulator, longer PV/acc ripples (§13.5)
    imc_delay_zigzag_imc: bool
    # registers and replicated memories counted once, not once per replica (§3.2, §13.6)
    mem_area_once_per_level: bool
    # --- memories --------------------------------------------------------------------------
    # CACTI area ×2 kept (carbonspot-model.md §5.1, §13.7)
    sram_area_x2: bool
    # 28 nm = 32 nm × 0.81 applied to SRAM area and access time too (§5.1, §13.7)
    sram_v2_factor_on_area_delay: bool
    # IMC weight-write energy rounded to 3 decimals in pJ (§5.2)
    imc_w_cost_rounded: bool
    # --- cost model and mapper -------------------------------------------------------------
    # outputs never double-buffered in the digital latency model (carbonspot-model.md §6.5)
    output_never_double_buffered: bool
    # reported latency = computation (latency_total0): on/off-loading cycles left out (§3.2)
    latency_excludes_loading: bool
    # on-loading "half-shared" bucket assigned, not accumulated (§6.5 step 4, §13.9)
    half_shared_bucket_assigned: bool
    # diagonal OX/OY mapping: best_comb_size never updated, last feasible comb wins (§9.1, §13.9)
    diagonal_last_feasible: bool
    # IMC: a diagonal (OX/OY on the word line) with a single bit-line loop crashes the
    # original's row count (zigzag-model.md §8.5), so such spatial mappings never win
    imc_diagonal_single_bl_dropped: bool
    # IMC latency = ideal + weight loading only, no port-bandwidth stalls (§4.9, §13.10)
    imc_latency_weight_loading_only: bool
    # mapper: only the two best-utilisation spatial candidates per array dim (yield_count, §9.1)
    spatial_top_two_per_dim: bool
    # mapper: one LPF merge, ties broken in ONNX loop order; corrected searches every tie-break
    lpf_single_merge_order: bool
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
# The default preset, resolved: the default argument of the models that take a Preset
# (public entry points take a name and resolve it once with get_preset).
CORRECTED: Preset = PRESETS["corrected"]


def get_preset(name: str | Preset | None) -> Preset:
    """Look a preset up by name (``None`` gives the default); a Preset is returned as is."""
    if isinstance(name, Preset):
        return name
    key = name or DEFAULT_PRESET
    try:
        return PRESETS[key]
    except KeyError:
        raise InputError(
            f"unknown preset {key!r}", field="--preset", allowed=sorted(PRESETS)
        ) from None
