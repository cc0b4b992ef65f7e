"""Study-file validation: clear InputErrors naming the field; CLI exit 2 with one line."""

from pathlib import Path

import pytest

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.search.files.study_file import load_study_file, parse_study

GOOD = {
    "suite": "tiny",
    "variables": {
        "template": ["pdigital_ws", "aimc"],
        "d1": {"pow2": [16, 64]},
        "macros": {"int": [1, 4], "step": 1, "templates": ["aimc"]},
    },
    "objectives": {"latency": "minimize", "tops_per_w": None},
    "constraints": {"max_area_mm2": 5, "meets_period": True},
}


def test_good_file_and_space():
    spec = parse_study(GOOD, "s.yaml")
    assert spec.name == "s" and spec.solver == "nsga2"
    assert [o.direction for o in spec.objectives] == ["minimize", "maximize"]
    # pdigital_ws: 3 d1 values; aimc: 3 d1 x 4 macros
    assert spec.space.size() == 3 + 12
    designs = list(spec.space.grid())
    assert len(designs) == 15
    assert all("macros" not in d for d in designs if d["template"] == "pdigital_ws")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variables": {"template": ["dimc"], "foo": [1, 2]}}, "variables.foo"),
        ({"objectives": ["speed"]}, "objectives"),
        ({"solver": "cmaes"}, "solver"),
        ({"variables": {"template": ["dimc"], "d1": {"pow2": [3, 64]}}}, "variables.d1.pow2"),
        ({"constraints": {"max_area": 3}}, "constraints.max_area"),
        ({"n_trials": 0}, "n_trials"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_fields_are_named(change, field):
    data = {**GOOD, **change}
    with pytest.raises(InputError) as err:
        parse_study(data, "s.yaml")
    assert err.value.field == field


def test_grid_needs_steps_for_reals(tmp_path):
    data = {
        **GOOD,
        "solver": "grid",
        "variables": {"template": ["dimc"], "node_nm": {"real": [7, 28]}},
    }
    with pytest.raises(InputError, match="step"):
        parse_study(data, "s.yaml")


def _cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("variables: [1, 2\n", "not valid YAML"),
        (
            "suite: tiny\ntemplate: dimc\nvariables: {warp: [1, 2]}\nobjectives: [latency]\n",
            "unknown variable 'warp'",
        ),
        (
            "suite: tiny\ntemplate: dimc\nvariables: {d1: [8, 16]}\nobjectives: [joy]\n",
            "unknown objective 'joy'",
        ),
    ],
)
def test_cli_bad_file_exit_2_one_line(tmp_path, capsys, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    code, err = _cli(capsys, "study", "run", str(f), "--no-progress")
    assert code == 2
    assert needle in err and str(f) in err
    assert len(err.strip().splitlines()) == 1


def test_cli_unreachable_storage_exit_2(tmp_path, capsys):
    f = tmp_path / "ok.yaml"
    f.write_text("suite: tiny\ntemplate: dimc\nvariables: {d1: [8, 16]}\nobjectives: [latency]\n")
    code, err = _cli(
        capsys,
        "study",
        "run",
        str(f),
        "--no-progress",
        "--storage",
        "postgresql://nobody@127.0.0.1:9/none",
    )
    assert code == 2
    assert "--storage" in err and "cannot open storage" in err
    assert len(err.strip().splitlines()) == 1
    code, err = _cli(capsys, "study", "run", str(f), "--no-progress", "--storage", "nonsense")
    assert code == 2 and "not a storage URL" in err


def test_load_missing_file():
    with pytest.raises(InputError, match="cannot read"):
        load_study_file(Path("/nonexistent/study.yaml"))
