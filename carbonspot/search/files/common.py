"""What sweep and study files share: their header settings and the checks of template parameters.

Both files start with the same settings — ``name``, ``description``, ``preset``, ``objective``
(the mapper's per-layer objective), ``mapper``, ``suite`` or ``workloads``, ``period_s`` and
``carbon`` — read once by :func:`parse_header`. Every allowed value comes from the layer that
owns it: suites from :data:`carbonspot.workload.zoo.SUITES`, template parameters from
:data:`carbonspot.hardware.templates.TEMPLATE_PARAMETERS`, mapper objectives and mappers from
:mod:`carbonspot.mapper.exhaustive`, presets from :data:`carbonspot.presets.PRESETS` and carbon
keys from :func:`carbonspot.carbon.params.get_carbon_params` (checked when the file is read, so
a bad carbon key names the file). Every problem is one :class:`InputError` naming the file, the
field and the allowed values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbonspot.carbon.params import get_carbon_params
from carbonspot.errors import InputError
from carbonspot.hardware.templates import TEMPLATE_NAMES, TEMPLATE_PARAMETERS, TemplateParam
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER, MAPPERS
from carbonspot.mapper.exhaustive import OBJECTIVES as MAPPER_OBJECTIVES
from carbonspot.presets import PRESETS
from carbonspot.workload.zoo import SUITES

# The header keys of sweep and study files, in the order the docs list them.
HEADER_KEYS = (
    "name",
    "description",
    "preset",
    "objective",
    "mapper",
    "suite",
    "workloads",
    "period_s",
    "carbon",
    "data_locality",
)
DATA_LOCALITY = {"on": True, "off": False}  # `data_locality:` values (docs/sweep.md)


@dataclass(frozen=True)
class FileHeader:
    """The validated header of a sweep or study file (see :data:`HEADER_KEYS`)."""

    name: str
    description: str
    preset: str
    objective: str  # the mapper's per-layer objective
    mapper: str
    suite: str | None
    workloads: tuple[str, ...]  # zoo names or absolute paths (empty with a suite)
    period_s: float | tuple[tuple[str, float], ...] | None
    carbon: tuple[tuple[str, Any], ...]
    data_locality: bool = True  # prune unused memory levels along the graph (off: zigzag-dse)

    def spec_fields(self, objective_field: str = "objective") -> dict[str, Any]:
        """The settings a sweep or study spec takes as they are (``description`` aside);
        ``objective_field`` is the spec's name for the mapper objective."""
        return {
            "name": self.name,
            "preset": self.preset,
            objective_field: self.objective,
            "mapper": self.mapper,
            "suite": self.suite,
            "workloads": self.workloads,
            "period_s": self.period_s,
            "carbon": self.carbon,
            "data_locality": self.data_locality,
        }


def parse_header(
    data: Any, source: str, keys: Sequence[str], base_dir: Path | None = None
) -> FileHeader:
    """Check that ``data`` is a mapping of ``keys`` only and read its header settings."""
    if not isinstance(data, Mapping):
        raise InputError("must be a mapping of settings", source=source, allowed=keys)
    unknown = sorted(set(map(str, data)) - set(keys))
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r}", source=source, field=unknown[0], allowed=keys
        )
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise InputError("must be a non-empty string", source=source, field="name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError("must be a string", source=source, field="description")
    preset = data.get("preset", "corrected")
    if preset not in PRESETS:
        raise InputError(
            f"unknown preset {preset!r}", source=source, field="preset", allowed=sorted(PRESETS)
        )
    objective = data.get("objective", "edp")
    if objective not in MAPPER_OBJECTIVES:
        raise InputError(
            f"unknown mapper objective {objective!r}",
            source=source,
            field="objective",
            allowed=MAPPER_OBJECTIVES,
        )
    suite, workloads = parse_workloads(data, source, base_dir)
    return FileHeader(
        name=name,
        description=description,
        preset=preset,
        objective=objective,
        mapper=parse_mapper(data.get("mapper", DEFAULT_MAPPER), source),
        suite=suite,
        workloads=workloads,
        period_s=parse_period(data.get("period_s"), source),
        carbon=parse_carbon(data.get("carbon"), source, preset),
        data_locality=parse_data_locality(data.get("data_locality", "on"), source),
    )


def as_list(value: Any) -> list[Any]:
    """A YAML scalar or list as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def scalar_ok(value: Any) -> bool:
    """True for a finite number, a string or a bool (what a parameter value may be in YAML)."""
    return isinstance(value, (int, float, str, bool)) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _is_path_like(name: str) -> bool:
    return "/" in name or name.endswith((".onnx", ".yaml", ".yml"))


def parse_data_locality(raw: Any, source: str) -> bool:
    """``data_locality: on|off``: graph-based memory pruning (on, the original's) or
    zigzag-dse's default whole hierarchy for every layer (off). YAML's bare on/off are bools."""
    if isinstance(raw, bool):
        return raw
    if not isinstance(raw, str) or raw.lower() not in DATA_LOCALITY:
        raise InputError(
            f"unknown data_locality {raw!r}", source=source, field="data_locality",
            allowed=list(DATA_LOCALITY),
        )  # fmt: skip
    return DATA_LOCALITY[raw.lower()]


def parse_mapper(raw: Any, source: str) -> str:
    """``mapper``: the per-layer search of a sweep or study file (``fast`` or ``exhaustive``)."""
    if not isinstance(raw, str) or raw not in MAPPERS:
        raise InputError(f"unknown mapper {raw!r}", source=source, field="mapper", allowed=MAPPERS)
    return raw


def parse_workloads(
    data: Mapping[str, Any], source: str, base_dir: Path | None = None
) -> tuple[str | None, tuple[str, ...]]:
    """``(suite, workloads)`` of a sweep or study file: exactly one of the two keys.

    A suite is one of the zoo's (:data:`carbonspot.workload.zoo.SUITES`). Relative workload
    paths are resolved against ``base_dir`` (the file's folder).
    """
    suite = data.get("suite")
    workloads_raw = data.get("workloads")
    if (suite is None) == (workloads_raw is None):
        raise InputError(
            "give exactly one of 'suite' and 'workloads'", source=source, field="workloads"
        )
    if suite is not None:
        if not isinstance(suite, str) or suite not in SUITES:
            raise InputError(
                f"unknown suite {suite!r}", source=source, field="suite", allowed=tuple(SUITES)
            )
        return suite, ()
    items = as_list(workloads_raw)
    if not items or not all(isinstance(w, str) and w for w in items):
        raise InputError(
            "must be a workload name or path, or a non-empty list of them",
            source=source,
            field="workloads",
        )
    resolved = []
    for w in items:
        if _is_path_like(w) and base_dir is not None and not Path(w).is_absolute():
            w = str((base_dir / w).resolve())
        resolved.append(w)
    return None, tuple(resolved)


def parse_period(raw: Any, source: str) -> float | tuple[tuple[str, float], ...] | None:
    """``period_s``: seconds for every workload, ``{workload: seconds}``, or absent."""
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if not _positive_number(value):
                raise InputError(
                    "must be a positive number of seconds", source=source, field=f"period_s.{key}"
                )
        return tuple((str(k), float(v)) for k, v in raw.items())
    if _positive_number(raw):
        return float(raw)
    raise InputError(
        "must be a positive number of seconds or {workload: seconds}",
        source=source,
        field="period_s",
    )


def parse_carbon(raw: Any, source: str, preset: str = "corrected") -> tuple[tuple[str, Any], ...]:
    """``carbon``: carbon-parameter overrides, checked by the carbon model on ``preset``."""
    carbon = raw or {}
    if not isinstance(carbon, Mapping) or not all(scalar_ok(v) for v in carbon.values()):
        raise InputError(
            "must be a mapping of carbon parameter to a value", source=source, field="carbon"
        )
    overrides = {str(k): v for k, v in carbon.items()}
    get_carbon_params(preset, overrides, source=f"{source}: carbon")
    return tuple(overrides.items())


# --------------------------------------------------------------------------------------------
# template parameters


def param_names(templates: Iterable[str]) -> tuple[str, ...]:
    """Names of the parameters any of ``templates`` takes, in the constant's order."""
    wanted = set(templates)
    return tuple(p.name for p in TEMPLATE_PARAMETERS if wanted & set(p.templates))


def template_param(name: str, templates: Iterable[str], source: str, field: str) -> TemplateParam:
    """The parameter ``name``, which every one of ``templates`` must take.

    The error names the first template without it and what that template takes, and says
    which templates do take the parameter.
    """
    param = next((p for p in TEMPLATE_PARAMETERS if p.name == name), None)
    for template in templates:
        if param is None or template not in param.templates:
            takes = f" (only {', '.join(param.templates)} have it)" if param else ""
            raise InputError(
                f"template {template!r} has no parameter {name!r}{takes}",
                source=source,
                field=field,
                allowed=param_names([template]),
            )
    if param is None:  # no template given: the name itself is unknown
        raise InputError(
            f"unknown parameter {name!r}",
            source=source,
            field=field,
            allowed=param_names(TEMPLATE_NAMES),
        )
    return param


def check_param_values(
    param: TemplateParam, values: Iterable[Any], source: str, field: str
) -> None:
    """Every value must be of the parameter's type (an integer for ``int`` parameters, one of
    the names for ``str`` parameters)."""
    for value in values:
        if param.kind is str:
            if not isinstance(value, str) or value.strip().lower() not in param.choices:
                raise InputError(
                    f"{value!r} is not one of the names", source=source, field=field,
                    allowed=param.allowed_text(),
                )  # fmt: skip
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (param.kind is int and not float(value).is_integer()):
            raise InputError(
                f"{value!r} is not {'an integer' if param.kind is int else 'a number'}",
                source=source,
                field=field,
                allowed=param.allowed_text(),
            )
