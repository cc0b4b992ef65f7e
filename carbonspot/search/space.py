"""Design-space variables of a study: categorical, integer ranges, powers of two, reals.

A variable knows its finite value list (when it has one), how to ask optuna for a value and
how to appear in pymoo's mixed-variable encoding. A *design* is a plain dict
``{"template": name, "objective": mapper objective, <accelerator param>: value, ...}``;
:func:`design_key` gives the canonical string used to deduplicate designs across trials,
solvers and processes.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Keys of a design that are not accelerator parameters.
TEMPLATE = "template"
MAPPER_OBJECTIVE = "objective"

KINDS = ("choices", "int", "pow2", "real")


@dataclass(frozen=True)
class Variable:
    """One searched dimension of the design space.

    ``kind`` is one of :data:`KINDS`. ``values`` is the ordered finite list of the variable's
    values (empty only for a continuous real). ``low``/``high``/``step``/``log`` describe
    ranges. ``templates`` restricts the variable to designs of those templates (``None``: all).
    """

    name: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    templates: tuple[str, ...] | None = None

    @property
    def finite(self) -> bool:
        """True when the variable has a finite value list (every kind but a stepless real)."""
        return bool(self.values)

    def active(self, template: str) -> bool:
        """Whether the variable applies to a design of ``template``."""
        return self.templates is None or template in self.templates

    def suggest(self, trial: Any) -> Any:
        """Ask an optuna trial for this variable's value."""
        if self.kind == "choices":
            return trial.suggest_categorical(self.name, list(self.values))
        if self.kind == "pow2":
            # Categorical over the powers so the dashboard shows the real values (not exponents).
            return trial.suggest_categorical(self.name, list(self.values))
        if self.kind == "int":
            return trial.suggest_int(
                self.name, int(self.low), int(self.high), step=int(self.step or 1), log=self.log
            )
        if self.step is not None:
            return trial.suggest_float(self.name, self.low, self.high, step=self.step)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def distribution(self) -> Any:
        """The optuna distribution :meth:`suggest` uses (for ask/tell with fixed values)."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind in ("choices", "pow2"):
            return CategoricalDistribution(list(self.values))
        if self.kind == "int":
            return IntDistribution(
                int(self.low), int(self.high), step=int(self.step or 1), log=self.log
            )
        if self.step is not None:
            return FloatDistribution(self.low, self.high, step=self.step)
        return FloatDistribution(self.low, self.high, log=self.log)

    def pymoo_var(self) -> Any:
        """pymoo mixed-variable encoding: Choice for categories, Integer index for ordered lists."""
        from pymoo.core.variable import Choice, Integer, Real

        if self.kind == "choices":
            return Choice(options=list(range(len(self.values))))
        if self.finite:
            return Integer(bounds=(0, len(self.values) - 1))
        return Real(bounds=(self.low, self.high))

    def decode(self, x: Any) -> Any:
        """The design value of a pymoo gene."""
        if self.finite:
            return self.values[int(x)]
        return float(x)

    def encode(self, value: Any) -> Any:
        """The pymoo gene of a design value (inverse of :meth:`decode`)."""
        if self.finite:
            return self.values.index(value)
        return float(value)


def int_values(low: int, high: int, step: int) -> tuple[int, ...]:
    """``low, low+step, ... <= high``."""
    return tuple(range(int(low), int(high) + 1, int(step)))


def pow2_values(low: int, high: int) -> tuple[int, ...]:
    """Powers of two from ``low`` to ``high`` inclusive (both powers of two)."""
    out = []
    v = int(low)
    while v <= high:
        out.append(v)
        v *= 2
    return tuple(out)


def real_values(low: float, high: float, step: float) -> tuple[float, ...]:
    """``low, low+step, ... <= high`` rounded to 12 significant digits (stable keys)."""
    n = int(math.floor((high - low) / step + 1e-9))
    return tuple(float(f"{low + i * step:.12g}") for i in range(n + 1))


def _canonical(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return float(f"{value:.12g}")
    if hasattr(value, "item"):  # numpy scalar
        return _canonical(value.item())
    return value


def canonical_design(design: Mapping[str, Any]) -> dict[str, Any]:
    """The design with plain-python, rounded values and sorted keys (a stable identity)."""
    return {k: _canonical(design[k]) for k in sorted(design)}


def design_key(design: Mapping[str, Any]) -> str:
    """Canonical string identity of a design: equal designs give equal keys."""
    return json.dumps(canonical_design(design), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class DesignSpace:
    """Fixed values plus variables; designs are the fixed values overlaid with variable values.

    ``fixed`` holds ``template`` (unless it is a variable), the mapper ``objective`` (unless it is
    a variable) and fixed accelerator parameters.
    """

    fixed: tuple[tuple[str, Any], ...]
    variables: tuple[Variable, ...]

    @property
    def names(self) -> list[str]:
        """Variable names in file order."""
        return [v.name for v in self.variables]

    def variable(self, name: str) -> Variable | None:
        """The variable called ``name`` (or ``None``)."""
        return next((v for v in self.variables if v.name == name), None)

    def _ordered(self) -> list[Variable]:
        # template first: the other variables' activity depends on it.
        tv = self.variable(TEMPLATE)
        rest = [v for v in self.variables if v.name != TEMPLATE]
        return ([tv] if tv else []) + rest

    def _template_of(self, values: Mapping[str, Any]) -> str:
        if TEMPLATE in values:
            return str(values[TEMPLATE])
        return str(dict(self.fixed)[TEMPLATE])

    def complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Design of the variable values: fixed values plus active variables only."""
        design = dict(self.fixed)
        template = self._template_of(values)
        for var in self.variables:
            if var.active(template) and var.name in values:
                design[var.name] = values[var.name]
        return canonical_design(design)

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Define-by-run sampling of a design with an optuna trial (inactive variables skipped)."""
        values: dict[str, Any] = {}
        template = dict(self.fixed).get(TEMPLATE)
        for var in self._ordered():
            if var.name == TEMPLATE:
                template = var.suggest(trial)
                values[TEMPLATE] = template
            elif var.active(str(template)):
                values[var.name] = var.suggest(trial)
        return self.complete(values)

    def distributions(self, design: Mapping[str, Any]) -> dict[str, Any]:
        """optuna distributions of the variables present in ``design``."""
        return {v.name: v.distribution() for v in self.variables if v.name in design}

    def trial_params(self, design: Mapping[str, Any]) -> dict[str, Any]:
        """The variable values of a design (what optuna stores as the trial's params)."""
        return {v.name: design[v.name] for v in self.variables if v.name in design}

    @property
    def finite(self) -> bool:
        """True when every variable has a finite value list (the grid is defined)."""
        return all(v.finite for v in self.variables)

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every distinct design, template outermost, then variables in file order.

        Raises ``ValueError`` when a real variable has no ``step`` (no finite grid).
        """
        if not self.finite:
            bad = next(v.name for v in self.variables if not v.finite)
            raise ValueError(f"variable {bad!r} is a continuous real: give it a step for a grid")
        tv = self.variable(TEMPLATE)
        templates = tv.values if tv else (dict(self.fixed)[TEMPLATE],)
        others = [v for v in self.variables if v.name != TEMPLATE]
        seen: set[str] = set()
        for template in templates:
            active = [v for v in others if v.active(str(template))]
            for combo in itertools.product(*(v.values for v in active)):
                values = dict(zip((v.name for v in active), combo, strict=True))
                if tv:
                    values[TEMPLATE] = template
                design = self.complete(values)
                key = design_key(design)
                if key not in seen:
                    seen.add(key)
                    yield design

    def size(self) -> int | None:
        """Number of distinct designs (``None`` when a real variable is continuous)."""
        if not self.finite:
            return None
        tv = self.variable(TEMPLATE)
        templates = tv.values if tv else (dict(self.fixed)[TEMPLATE],)
        others = [v for v in self.variables if v.name != TEMPLATE]
        return sum(math.prod(len(v.values) for v in others if v.active(str(t))) for t in templates)

    # --- pymoo --------------------------------------------------------------------------------
    def pymoo_vars(self) -> dict[str, Any]:
        """pymoo ``vars`` of a mixed-variable problem (one gene per variable)."""
        return {v.name: v.pymoo_var() for v in self.variables}

    def decode(self, x: Mapping[str, Any]) -> dict[str, Any]:
        """Design of a pymoo individual (genes of inactive variables are ignored)."""
        values = {v.name: v.decode(x[v.name]) for v in self.variables}
        return self.complete(values)

    def encode(self, design: Mapping[str, Any], fill: Mapping[str, Any] | None = None) -> dict:
        """pymoo genes of a design; inactive variables take ``fill`` or their first value."""
        genes = {}
        for v in self.variables:
            if v.name in design:
                genes[v.name] = v.encode(design[v.name])
            elif fill is not None and v.name in fill:
                genes[v.name] = fill[v.name]
            else:
                genes[v.name] = 0 if v.finite else float(v.low)
        return genes


def as_sequence(value: Any) -> Sequence[Any]:
    """A YAML scalar or list as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]
