"""Load an accelerator from a spec: a template ``NAME:key=value,…``, our YAML, or ZigZag v3 YAML.

``load_accelerator("dimc:dim=128,sram_bytes=131072")`` builds the paper's DIMC template;
a path ending in ``.yaml``/``.yml`` is read as our schema (docs/hardware-yaml.md) or, if it
has ZigZag's ``operational_array``/``memories`` layout, as a ZigZag v3 accelerator.
"""

from __future__ import annotations

from pathlib import Path

from carbonspot.errors import InputError
from carbonspot.hardware.model import Accelerator
from carbonspot.hardware.templates import TEMPLATE_NAMES, build_template, parse_template_spec
from carbonspot.presets import Preset, get_preset

__all__ = ["TEMPLATE_NAMES", "load_accelerator"]


def load_accelerator(
    spec: str,
    preset: str | Preset = "corrected",
    workload_weight_bytes: int | None = None,
) -> Accelerator:
    """Build or read the accelerator named by ``spec`` under ``preset``.

    ``workload_weight_bytes`` is only used by templates (weights kept in SRAM when they fit,
    carbonspot-model.md §3.3). Raises :class:`InputError` for anything a user can fix.
    """
    p = get_preset(preset)
    text = spec.strip()
    name = text.partition(":")[0].strip().lower()
    if name in TEMPLATE_NAMES:
        tname, params = parse_template_spec(text)
        return build_template(tname, params, p, workload_weight_bytes, spec=text)
    path = Path(text).expanduser()
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise InputError("file not found", source=text, field="accelerator")
        from carbonspot.hardware.readers.yaml import is_zigzag_yaml, read_accelerator_yaml

        if is_zigzag_yaml(path):
            from carbonspot.hardware.readers.zigzag import read_zigzag_accelerator

            return read_zigzag_accelerator(path, p)
        return read_accelerator_yaml(path, p)
    raise InputError(
        f"unknown accelerator {text!r}",
        field="accelerator",
        allowed=[f"{n}:key=value,..." for n in TEMPLATE_NAMES] + ["path/to/file.yaml"],
    )
