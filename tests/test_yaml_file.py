"""YAML input: a key given twice in one mapping is an error naming the key and both lines."""

from __future__ import annotations

import pytest

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.yaml_file import parse_yaml_text


def test_duplicated_key_names_key_and_both_lines():
    with pytest.raises(InputError) as err:
        parse_yaml_text(
            "name: n\nlayers:\n  - loops:\n      K: 2\n      C: 3\n      K: 4\n", "w.yaml"
        )
    msg = str(err.value)
    assert "w.yaml" in msg and "'K'" in msg and "lines 4 and 6" in msg


def test_same_key_in_different_mappings_and_merge_keys_are_fine():
    doc = parse_yaml_text("a: {k: 1}\nb: {k: 2}\nbase: &x {k: 1}\nm: {<<: *x, k: 3}\n", "ok.yaml")
    assert doc == {"a": {"k": 1}, "b": {"k": 2}, "base": {"k": 1}, "m": {"k": 3}}


def test_workload_file_with_a_loop_twice_exits_2(tmp_path, capsys):
    path = tmp_path / "net.yaml"
    path.write_text("name: n\nlayers:\n  - operator: Conv\n    loops: {K: 8, C: 8, K: 16}\n")
    assert main(["workload", "show", str(path)]) == 2
    err = capsys.readouterr().err
    assert "net.yaml" in err and "'K'" in err and "Traceback" not in err


def test_zigzag_files_keep_the_last_duplicate_with_a_warning():
    from carbonspot.errors import InputWarning

    # zigzag-dse 3.9.1's own hardware/tpu_like.yaml lists `ports` twice; PyYAML (and so
    # ZigZag) keeps the second one
    with pytest.warns(InputWarning, match=r"'ports' is given twice, at lines 2 and 3"):
        doc = parse_yaml_text("m:\n  ports: [old]\n  ports: [new]\n", "tpu_like.yaml", "last")
    assert doc == {"m": {"ports": ["new"]}}


def test_cli_prints_input_warnings_as_one_line(capsys):
    import warnings

    from carbonspot import cli
    from carbonspot.errors import warn_input

    old = warnings.showwarning
    try:
        warnings.showwarning = cli._show_warning
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warn_input("ignored", source="f.yaml", field="k")
    finally:
        warnings.showwarning = old
    assert capsys.readouterr().err == "carbonspot: warning: f.yaml: k: ignored\n"
