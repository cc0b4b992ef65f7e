"""Template parameters are written once (TEMPLATE_PARAMETERS); loaders and docs read that.

Regression: the study loader looked for parameter lists the hardware readers never defined and
fell back to a hand-written list without ``vdd_v``, so the documented ``vdd`` variable (and
``vdd_v``) was rejected as an unknown variable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carbonspot.errors import InputError
from carbonspot.hardware.templates import (
    TEMPLATE_NAMES,
    TEMPLATE_PARAMETERS,
    TEMPLATE_PARAMS,
    build_template,
)
from carbonspot.search.files.study_file import parse_study
from carbonspot.search.files.sweep_file import parse_sweep

DOCS = Path(__file__).resolve().parents[1] / "docs"
PARAM_IDS = [p.name for p in TEMPLATE_PARAMETERS]


def _values(param) -> dict:
    """A variable of the parameter's type (an integer range, a real one with a step, or names)."""
    if param.kind is str:
        return {"choices": list(param.choices[:2])}
    return {"int": [1, 2]} if param.kind is int else {"real": [0.5, 1.0], "step": 0.25}


def _value(param):
    """One value of the parameter's type."""
    return param.choices[0] if param.kind is str else 1 if param.kind is int else 0.5


def _study(param, **extra) -> dict:
    return {
        "workloads": ["ae"],
        "variables": {"template": list(param.templates), param.name: _values(param)},
        "objectives": ["latency"],
        **extra,
    }


@pytest.mark.parametrize("param", TEMPLATE_PARAMETERS, ids=PARAM_IDS)
def test_every_template_parameter_is_a_study_variable(param):
    spec = parse_study(_study(param), "s.yaml")
    variable = spec.space.variable(param.name)
    assert variable is not None and variable.kind == next(iter(_values(param)))


@pytest.mark.parametrize("param", TEMPLATE_PARAMETERS, ids=PARAM_IDS)
def test_every_template_parameter_is_a_fixed_study_param(param):
    data = {**_study(param), "variables": {"template": list(param.templates), "d1": [8, 16]}}
    if param.name == "d1":
        data["variables"] = {"template": list(param.templates), "dim": [8, 16]}
    spec = parse_study({**data, "params": {param.name: _value(param)}}, "s.yaml")
    assert dict(spec.space.fixed)[param.name] == _value(param)


@pytest.mark.parametrize("param", TEMPLATE_PARAMETERS, ids=PARAM_IDS)
def test_every_template_parameter_is_a_sweep_param(param):
    value = _value(param)
    data = {
        "workloads": ["ae"],
        "designs": [{"template": list(param.templates), "params": {param.name: [value]}}],
    }
    spec = parse_sweep(data, "s.yaml")
    assert all(p[param.name] == value for _, p in spec.designs())


def test_vdd_v_study_designs_build():
    data = {
        "workloads": ["ae"],
        "template": "dimc",
        "variables": {"vdd_v": {"real": [0.6, 0.9], "step": 0.05}},
        "objectives": ["energy"],
    }
    designs = list(parse_study(data, "s.yaml").space.grid())
    assert [d["vdd_v"] for d in designs] == [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
    acc = build_template("dimc", {"vdd_v": designs[-1]["vdd_v"]})
    assert acc.array.tech.vdd_v == 0.9


def test_unknown_variable_names_file_field_and_allowed_values():
    data = {
        "workloads": ["ae"],
        "template": "dimc",
        "variables": {"vdd": {"real": [0.6, 0.9]}},
        "objectives": ["energy"],
    }
    with pytest.raises(InputError) as err:
        parse_study(data, "studies/x.yaml")
    assert err.value.source == "studies/x.yaml" and err.value.field == "variables.vdd"
    text = str(err.value)
    assert "unknown variable 'vdd'" in text
    for name in TEMPLATE_PARAMS["dimc"]:
        assert name in err.value.allowed, name


def test_a_parameter_only_some_templates_take_needs_templates():
    data = {
        "workloads": ["ae"],
        "variables": {"template": ["pdigital_ws", "aimc"], "adc_bits": {"int": [3, 8]}},
        "objectives": ["energy"],
    }
    with pytest.raises(InputError) as err:
        parse_study(data, "s.yaml")
    assert err.value.field == "variables.adc_bits"
    assert "'pdigital_ws' has no parameter 'adc_bits'" in str(err.value)
    assert "aimc, dimc" in str(err.value)
    data["variables"]["adc_bits"]["templates"] = ["aimc"]
    assert parse_study(data, "s.yaml").space.variable("adc_bits").templates == ("aimc",)
    with pytest.raises(InputError, match="has no parameter 'adc_bits'") as err:
        parse_study({**data, "template": "pdigital_os", "variables": {"d1": [8]},
                     "params": {"adc_bits": 4}}, "s.yaml")  # fmt: skip
    assert err.value.field == "params.adc_bits"


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"d1": {"real": [8, 64]}}, "variables.d1.real"),  # an integer parameter
        ({"d1": [8, 16.5]}, "variables.d1"),
        ({"node_nm": ["28nm"]}, "variables.node_nm"),
    ],
)
def test_values_must_have_the_parameter_type(variables, field):
    data = {"workloads": ["ae"], "template": "dimc", "variables": variables}
    with pytest.raises(InputError) as err:
        parse_study({**data, "objectives": ["energy"]}, "s.yaml")
    assert err.value.field == field and err.value.allowed


def test_sweep_unknown_parameter_lists_the_templates_parameters():
    data = {"workloads": ["ae"], "designs": {"template": "pdigital_os", "params": {"vdd": 1}}}
    with pytest.raises(InputError) as err:
        parse_sweep(data, "s.yaml")
    assert err.value.field == "designs[0].params.vdd"
    assert err.value.allowed == ", ".join(TEMPLATE_PARAMS["pdigital_os"])


def test_per_template_view_is_the_constant():
    for template, params in TEMPLATE_PARAMS.items():
        assert template in TEMPLATE_NAMES
        assert [p.name for p in TEMPLATE_PARAMETERS if template in p.templates] == list(params)


def _docs_table_rows() -> list[list[str]]:
    text = (DOCS / "sweep.md").read_text()
    section = text.split("### Template parameters", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows]


def _expected_row(p) -> list[str]:
    templates = "all" if p.templates == TEMPLATE_NAMES else ", ".join(p.templates)
    return [f"`{p.name}`", p.kind.__name__, p.default_text, p.allowed_text(), templates, p.doc]


def test_docs_table_is_the_constant():
    assert _docs_table_rows() == [_expected_row(p) for p in TEMPLATE_PARAMETERS]


def test_docs_study_example_loads_and_names_only_known_parameters():
    text = (DOCS / "studies.md").read_text()
    block = text.split("Variables:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    import yaml

    variables = yaml.safe_load(block)["variables"]
    data = {"workloads": ["ae"], "variables": variables, "objectives": ["energy"]}
    spec = parse_study(data, "docs/studies.md")
    assert "vdd_v" in spec.space.names
    row = next(line for line in text.splitlines() if line.startswith("| `variables`"))
    named = set(re.findall(r"`([a-z_0-9]+)`", row)) - {"variables", "template", "objective"}
    named -= set(TEMPLATE_NAMES)
    assert named == {p.name for p in TEMPLATE_PARAMETERS}
