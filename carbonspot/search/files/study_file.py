"""Study files: the sweep's design-space file plus variables, objectives, constraints, solver.

Schema (docs/studies.md)::

    name: quick                       # optional, default: the file name
    preset: corrected                 # as in sweep files
    objective: edp                    # mapper's per-layer objective (or a variable, below)
    mapper: fast                      # per-layer search: fast | exhaustive (same optimum)
    suite: tiny                       # or workloads: [ae, ds_cnn, ...]
    period_s: 0.04                    # optional, as in sweep files
    carbon: {}                        # optional carbon-parameter overrides
    template: dimc                    # fixed template, unless 'template' is a variable
    params: {node_nm: 28}             # fixed accelerator parameters
    variables:
      template: [pdigital_ws, pdigital_os, aimc, dimc]  # list = categorical
      d1: {pow2: [16, 256]}                             # powers of two
      macros: {int: [1, 8], step: 1, templates: [aimc, dimc]}
      vdd_v: {real: [0.6, 0.9], step: 0.05}             # step optional (needed by 'grid')
    objectives: {latency: minimize, energy: minimize, carbon_ca: minimize}
    constraints: {max_area_mm2: 10, meets_period: true, max_power_mw: 100}
    solver: nsga2                     # nsga2 | optuna-nsga2 | optuna-tpe | grid
    solver_options: {pop_size: 24}
    n_trials: 200
    seed: 0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from carbonspot.errors import InputError
from carbonspot.hardware.templates import TEMPLATE_NAMES
from carbonspot.mapper.exhaustive import OBJECTIVES as MAPPER_OBJECTIVES
from carbonspot.search.files.common import (
    HEADER_KEYS,
    check_param_values,
    param_names,
    parse_header,
    template_param,
)
from carbonspot.search.objective import CONSTRAINTS, DIRECTIONS, OBJECTIVES, Constraint, Objective
from carbonspot.search.solvers import DEFAULT_SOLVER, SOLVER_NAMES, SOLVER_OPTIONS, solver_class
from carbonspot.search.space import (
    MAPPER_OBJECTIVE,
    TEMPLATE,
    DesignSpace,
    Variable,
    int_values,
    pow2_values,
    real_values,
)
from carbonspot.search.spec import StudySpec
from carbonspot.yaml_file import read_yaml_file

TOP_KEYS = (
    *HEADER_KEYS,
    "template",
    "params",
    "variables",
    "objectives",
    "constraints",
    "solver",
    "solver_options",
    "n_trials",
    "seed",
)
VARIABLE_KEYS = ("choices", "int", "pow2", "real", "step", "log", "templates")


def project_dir_of(path: Path) -> Path:
    """Project of a study file: the parent of its ``studies/`` folder, else its own folder."""
    folder = path.resolve().parent
    return folder.parent if folder.name == "studies" else folder


def load_study_file(path: str | Path) -> StudySpec:
    """Read and validate a study file; every problem is one :class:`InputError`."""
    path = Path(path)
    src = str(path)
    data = read_yaml_file(path)
    return parse_study(data, src, project_dir=project_dir_of(path), base_dir=path.resolve().parent)


def _err(msg: str, src: str, fld: str, allowed: Any = None) -> InputError:
    return InputError(msg, source=src, field=fld, allowed=allowed)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def parse_study(
    data: Any, src: str, project_dir: Path | None = None, base_dir: Path | None = None
) -> StudySpec:
    """Validate an already-parsed study mapping (``src`` names it in errors)."""
    head = parse_header(data, src, TOP_KEYS, base_dir)
    if any(c in head.name for c in "/\\ "):
        raise _err("must be a non-empty string without spaces or slashes", src, "name")

    raw_vars = data.get("variables")
    if not isinstance(raw_vars, Mapping) or not raw_vars:
        raise _err("must be a non-empty mapping of variable name to its values", src, "variables")
    fixed: dict[str, Any] = {}
    by_name: dict[str, Variable] = {}
    if TEMPLATE in raw_vars:
        if data.get("template") is not None:
            raise _err("is also a variable: give it in one place only", src, "template")
        tv = by_name[TEMPLATE] = _variable(TEMPLATE, raw_vars[TEMPLATE], src, TEMPLATE_NAMES)
        if tv.kind != "choices":
            raise _err(
                "must be a list of template names", src, "variables.template", TEMPLATE_NAMES
            )
        for t in tv.values:
            if t not in TEMPLATE_NAMES:
                raise _err(f"unknown template {t!r}", src, "variables.template", TEMPLATE_NAMES)
        study_templates: tuple[str, ...] = tuple(tv.values)
    else:
        template = data.get("template")
        if template is None:
            raise _err(
                "give a template, or make 'template' a variable", src, "template", TEMPLATE_NAMES
            )
        if template not in TEMPLATE_NAMES:
            raise _err(f"unknown template {template!r}", src, "template", TEMPLATE_NAMES)
        fixed[TEMPLATE] = template
        study_templates = (template,)
    if MAPPER_OBJECTIVE not in raw_vars:
        fixed[MAPPER_OBJECTIVE] = head.objective
    fixed.update(_fixed_params(data.get("params"), raw_vars, study_templates, src))

    for vname, raw in raw_vars.items():
        if str(vname) != TEMPLATE:
            by_name[str(vname)] = _variable(str(vname), raw, src, study_templates)
    variables = tuple(by_name[str(vname)] for vname in raw_vars)
    ov = by_name.get(MAPPER_OBJECTIVE)
    if ov is not None and (
        ov.kind != "choices" or any(o not in MAPPER_OBJECTIVES for o in ov.values)
    ):
        raise _err(
            "must be a list of mapper objectives", src, "variables.objective", MAPPER_OBJECTIVES
        )
    space = DesignSpace(fixed=tuple(fixed.items()), variables=variables)

    objectives = _objectives(data.get("objectives"), src)
    constraints = _constraints(data.get("constraints"), src)

    solver = data.get("solver", DEFAULT_SOLVER)
    if solver not in SOLVER_NAMES:
        raise _err(f"unknown solver {solver!r}", src, "solver", SOLVER_NAMES)
    options = data.get("solver_options", {}) or {}
    if not isinstance(options, Mapping):
        raise _err("must be a mapping", src, "solver_options", SOLVER_OPTIONS)
    for key, value in options.items():
        if key not in SOLVER_OPTIONS:
            raise _err(
                f"unknown solver option {key!r}", src, f"solver_options.{key}", SOLVER_OPTIONS
            )
        if not _positive_int(value):
            raise _err("must be a positive integer", src, f"solver_options.{key}")
    n_trials = data.get("n_trials", 100)
    if not _positive_int(n_trials):
        raise _err("must be a positive integer", src, "n_trials")
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise _err("must be a non-negative integer", src, "seed")
    if solver_class(solver).needs_finite_space and not space.finite:
        bad = next(v.name for v in variables if not v.finite)
        raise _err("a continuous real has no grid: give it a step", src, f"variables.{bad}")

    return StudySpec(
        source=src,
        space=space,
        objectives=objectives,
        constraints=constraints,
        **head.spec_fields(objective_field="mapper_objective"),
        solver=solver,
        n_trials=n_trials,
        seed=seed,
        solver_options=tuple((str(k), v) for k, v in options.items()),
        description=head.description,
        project_dir=str(project_dir or Path.cwd()),
    )


def _fixed_params(
    raw: Any, raw_vars: Mapping[str, Any], templates: tuple[str, ...], src: str
) -> dict[str, Any]:
    """``params``: one value per template parameter, which every template of the study takes."""
    params = raw or {}
    if not isinstance(params, Mapping):
        raise _err("must be a mapping of parameter to a value", src, "params")
    out: dict[str, Any] = {}
    for key, value in params.items():
        fld = f"params.{key}"
        if key not in param_names(TEMPLATE_NAMES):
            raise _err(f"unknown accelerator parameter {key!r}", src, fld, param_names(templates))
        if isinstance(value, (list, tuple, Mapping)):
            raise _err("must be one value (a variable searches several)", src, fld)
        if key in raw_vars:
            raise _err("is also a variable: give it in one place only", src, fld)
        check_param_values(template_param(str(key), templates, src, fld), [value], src, fld)
        out[str(key)] = value
    return out


def _variable(name: str, raw: Any, src: str, study_templates: tuple[str, ...]) -> Variable:
    """One variable; a template parameter must exist on every template it applies to."""
    fld = f"variables.{name}"
    is_param = name not in (TEMPLATE, MAPPER_OBJECTIVE)
    if is_param and name not in param_names(TEMPLATE_NAMES):
        allowed_names = (TEMPLATE, MAPPER_OBJECTIVE, *param_names(study_templates))
        raise _err(f"unknown variable {name!r}", src, fld, allowed_names)
    if isinstance(raw, (list, tuple)):
        raw = {"choices": list(raw)}
    if not isinstance(raw, Mapping):
        raise _err(
            "must be a list of values or a mapping like {int: [low, high]}", src, fld, KINDS_TEXT
        )
    unknown = sorted(set(map(str, raw)) - set(VARIABLE_KEYS))
    if unknown:
        raise _err(f"unknown key {unknown[0]!r}", src, f"{fld}.{unknown[0]}", VARIABLE_KEYS)
    kinds = [k for k in ("choices", "int", "pow2", "real") if k in raw]
    if len(kinds) != 1:
        raise _err("give exactly one of choices, int, pow2, real", src, fld, KINDS_TEXT)
    kind = kinds[0]
    only = raw.get("templates")
    if only is not None:
        only = list(only) if isinstance(only, (list, tuple)) else [only]
        for t in only:
            if t not in TEMPLATE_NAMES:
                raise _err(f"unknown template {t!r}", src, f"{fld}.templates", TEMPLATE_NAMES)
        if name == TEMPLATE:
            raise _err(
                "the template variable cannot depend on the template", src, f"{fld}.templates"
            )
        only = tuple(only)
    if is_param:
        param = template_param(name, only if only is not None else study_templates, src, fld)
        if kind != "choices" and param.kind is str:
            raise _err(
                f"{name!r} takes names: give a list of them", src, f"{fld}.{kind}",
                param.allowed_text(),
            )  # fmt: skip
        if kind == "real" and param.kind is int:
            raise _err(
                f"{name!r} takes integers: give a list, {{int: [low, high]}} or "
                "{pow2: [low, high]}",
                src,
                f"{fld}.real",
                param.allowed_text(),
            )
        if kind == "choices" and isinstance(raw["choices"], (list, tuple)):
            check_param_values(param, raw["choices"], src, fld)
    step = raw.get("step")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise _err("must be true or false", src, f"{fld}.log")
    if kind == "choices":
        values = raw["choices"]
        if (
            not isinstance(values, (list, tuple))
            or not values
            or not all(isinstance(v, (int, float, str, bool)) for v in values)
        ):
            raise _err("must be a non-empty list of numbers or strings", src, fld)
        if len(set(map(repr, values))) != len(values):
            raise _err("lists a value twice", src, fld)
        if step is not None or log:
            raise _err("'step' and 'log' apply to int and real ranges only", src, fld)
        return Variable(name, "choices", tuple(values), templates=only)
    bounds = raw[kind]
    if (
        not isinstance(bounds, (list, tuple))
        or len(bounds) != 2
        or not all(_number(b) for b in bounds)
        or bounds[0] > bounds[1]
    ):
        raise _err(
            f"must be [low, high] with low <= high, e.g. {{{kind}: [1, 8]}}", src, f"{fld}.{kind}"
        )
    low, high = bounds
    if kind == "int":
        if not all(isinstance(b, int) for b in bounds):
            raise _err("bounds must be integers", src, f"{fld}.int")
        step = 1 if step is None else step
        if not _positive_int(step):
            raise _err("must be a positive integer", src, f"{fld}.step")
        if log and step != 1:
            raise _err("log ranges take no step", src, f"{fld}.step")
        values = int_values(low, high, step)
        if log and low <= 0:
            raise _err("a log range needs low > 0", src, f"{fld}.int")
        return Variable(name, "int", values, low, high, step, log, only)
    if kind == "pow2":
        for b in bounds:
            if not isinstance(b, int) or b < 1 or b & (b - 1):
                raise _err(f"{b!r} is not a power of two", src, f"{fld}.pow2")
        if step is not None or log:
            raise _err("pow2 ranges take neither step nor log", src, fld)
        return Variable(name, "pow2", pow2_values(low, high), low, high, None, False, only)
    # real
    if step is not None:
        if not _number(step) or step <= 0:
            raise _err("must be a positive number", src, f"{fld}.step")
        if log:
            raise _err("log ranges take no step", src, f"{fld}.step")
        values = real_values(float(low), float(high), float(step))
        return Variable(name, "real", values, float(low), float(high), float(step), False, only)
    if log and low <= 0:
        raise _err("a log range needs low > 0", src, f"{fld}.real")
    return Variable(name, "real", (), float(low), float(high), None, log, only)


KINDS_TEXT = "[a, b, ...], {int: [lo, hi], step}, {pow2: [lo, hi]}, {real: [lo, hi], step|log}"


def _objectives(raw: Any, src: str) -> tuple[Objective, ...]:
    names = tuple(OBJECTIVES)
    if raw is None:
        raise _err("give at least one objective", src, "objectives", names)
    items: list[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        items = list(raw.items())
    elif isinstance(raw, (list, tuple)):
        items = []
        for entry in raw:
            if isinstance(entry, Mapping) and len(entry) == 1:
                items.extend(entry.items())
            else:
                items.append((entry, None))
    else:
        raise _err("must be a list of names or a mapping name: direction", src, "objectives", names)
    if not items:
        raise _err("give at least one objective", src, "objectives", names)
    out = []
    for name, direction in items:
        if name not in OBJECTIVES:
            raise _err(f"unknown objective {name!r}", src, "objectives", names)
        direction = direction or OBJECTIVES[name][1]
        if direction not in DIRECTIONS:
            raise _err(f"unknown direction {direction!r}", src, f"objectives.{name}", DIRECTIONS)
        if any(o.name == name for o in out):
            raise _err(f"lists {name!r} twice", src, "objectives")
        out.append(Objective(str(name), str(direction)))
    return tuple(out)


def _constraints(raw: Any, src: str) -> tuple[Constraint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise _err(
            "must be a mapping like {max_area_mm2: 4, meets_period: true}",
            src,
            "constraints",
            tuple(CONSTRAINTS),
        )
    out = []
    for name, bound in raw.items():
        fld = f"constraints.{name}"
        if name not in CONSTRAINTS:
            raise _err(f"unknown constraint {name!r}", src, fld, tuple(CONSTRAINTS))
        if name == "meets_period":
            if not isinstance(bound, bool):
                raise _err("must be true or false", src, fld)
        elif not _number(bound) or bound <= 0:
            raise _err("must be a positive number", src, fld)
        out.append(Constraint(str(name), bound))
    return tuple(out)
