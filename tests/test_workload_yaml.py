"""CarbonSpot and ZigZag workload YAML: loading, validation messages, fuzzing."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.workload.model import Workload
from carbonspot.workload.readers.yaml import (
    dump_workload_yaml,
    load_workload_yaml,
    workload_from_dict,
    workload_from_yaml_text,
)
from carbonspot.workload.readers.zigzag import load_zigzag_workload
from carbonspot.workload.zoo import get_workload, load_workload

DATA = Path(__file__).resolve().parent / "data" / "workloads"
ZIGZAG_LAYERS = yaml.safe_load((DATA / "zigzag_small.yaml").read_text())
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def test_example_yaml_loads_with_defaults_and_overrides() -> None:
    w = load_workload(str(DATA / "example.yaml"))
    assert w.name == "tiny_example" and w.suite == "custom"
    assert w.period_s == pytest.approx(1 / 30)
    stem, dw, pool, scores, fc = w.layers
    assert stem.stride == (2, 1) and stem.padding == (2, 1, 1, 1)
    assert stem.precision.psum_bits == 24  # file-level default
    assert stem.input_extent == (64, 16)
    assert dw.padding == (1, 1, 1, 1) and dw.loops["G"] == 16
    assert pool.costless and pool.precision.weight_bits == 0
    assert scores.constant_operands == () and not scores.costless
    assert fc.precision.weight_bits == 4 and fc.precision.psum_bits == 24
    # act x act MatMul carries no weights; fc has 4-bit weights
    assert w.weight_bytes == (16 * 3 * 5 * 3 + 16 * 9) + 10 * 16 * 4 // 8


@pytest.mark.parametrize("name", ["ds_cnn", "resnet8", "ssd_mobilenet_v2"])
def test_zoo_round_trips_through_yaml(name: str) -> None:
    w = get_workload(name)
    back = workload_from_yaml_text(dump_workload_yaml(w), "mem")
    assert [layer.key for layer in back.layers] == [layer.key for layer in w.layers]
    assert [layer.name for layer in back.layers] == [layer.name for layer in w.layers]
    assert (back.name, back.suite, back.period_s) == (w.name, w.suite, w.period_s)


def test_zigzag_yaml_layers() -> None:
    w = load_zigzag_workload(str(DATA / "zigzag_small.yaml"))
    conv, pool, add, dw, fc = w.layers
    # ix=2*ox+1*fx, iy=2*oy+1*fy; padding [[1,1],[4,5]] listed for [IX, IY]
    assert (conv.loops["FY"], conv.loops["FX"], conv.loops["OY"], conv.loops["OX"]) == (
        10,
        4,
        25,
        5,
    )
    assert conv.stride == (2, 2) and conv.padding == (4, 1, 5, 1)
    assert conv.input_extent == (49, 10)
    assert conv.constant_operands == ("I", "W")  # both sourced from the layer itself
    assert pool.operator == "Pool" and pool.costless and pool.loops["G"] == 64
    assert add.operator == "Add" and add.costless and add.constant_operands == ()
    assert dw.loops["G"] == 64 and dw.loops["K"] == 1 and dw.padding == (1, 1, 1, 1)
    assert dw.constant_operands == ("W",)  # I comes from layer 2
    assert (fc.loops["B"], fc.loops["K"], fc.loops["C"]) == (4, 12, 64)
    assert fc.precision.weight_bits == 4 and fc.precision.psum_bits == 32
    assert w.total_macs == 320_000 + 39_744 + 3_072


def _valid_doc() -> dict:
    return {
        "name": "n",
        "fps": 10,
        "layers": [
            {"name": "c", "operator": "Conv", "loops": {"K": 4, "C": 2, "OY": 3, "OX": 3}},
            {"operator": "Gemm", "loops": {"K": 2, "C": 36}, "precision": {"weight_bits": 2}},
        ],
    }


def test_valid_document_builds() -> None:
    w = workload_from_dict(_valid_doc(), "f.yaml")
    assert w.total_macs == 4 * 2 * 9 + 2 * 36 and w.layers[1].name == "layer_1"


@pytest.mark.parametrize(
    ("mutate", "field", "allowed"),
    [
        (lambda d: d["layers"][0]["loops"].update(K=0), "layers[0].loops.K", "positive integer"),
        (lambda d: d["layers"][0]["loops"].update(Q=3), "layers[0].loops.Q", "OY"),
        (lambda d: d["layers"][0].update(stride=[1, 2, 3]), "layers[0].stride", "[y, x]"),
        (lambda d: d["layers"][0].update(costless="yes"), "layers[0].costless", "true"),
        (lambda d: d["layers"][1].pop("operator"), "layers[1].operator", "Conv"),
        (lambda d: d["layers"][1].update(constant_operands=["X"]), "constant_operands", "[W]"),
        (lambda d: d.update(fps=-1), "fps", "> 0"),
        (lambda d: d.update(period_s=0.1), "period_s", "fps or period_s"),
        (lambda d: d.update(layers=[]), "layers", "list"),
        (lambda d: d.update(colour="red"), "colour", "layers"),
        (lambda d: d["layers"][1]["precision"].update(weight_bits=1.5), "weight_bits", ">= 0"),
    ],
)
def test_invalid_fields_are_named(mutate, field: str, allowed: str) -> None:
    doc = copy.deepcopy(_valid_doc())
    mutate(doc)
    with pytest.raises(InputError) as info:
        workload_from_dict(doc, "f.yaml")
    err = info.value
    assert err.source == "f.yaml"
    assert field in (err.field or "")
    assert allowed in (err.allowed or "")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: x\nlayers: [\n", "(syntax)"),
        ("- 1\n- 2\n", "[0]"),
        ("42\n", "(top level)"),
        ("- id: 0\n  operator_type: Conv\n  equation: 'O[k]+=W[k]'\n", "equation"),
        (
            "- {id: 0, operator_type: Wobble, equation: 'O[k]+=W[k][c]*I[c]',"
            " loop_dims: [K, C], loop_sizes: [2, 2], operand_precision: {O: 16, O_final: 8}}\n",
            "operator_type",
        ),
        (
            "- {id: 0, operator_type: Gemm, equation: 'O[k]+=W[k][c]*I[c]',"
            " loop_dims: [K, C], loop_sizes: [2], operand_precision: {O: 16, O_final: 8}}\n",
            "loop_sizes",
        ),
        (
            "- {id: 0, operator_type: Gemm, equation: 'O[k]+=W[k][c]*I[c]',"
            " loop_dims: [K, C], loop_sizes: [2, 2], operand_precision: {O: 16, O_final: 8}}\n",
            "operand_precision.W",
        ),
    ],
)
def test_malformed_yaml_cli_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, field: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["workload", "show", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert str(path) in lines[0] and field in lines[0] and "allowed" in lines[0]


def test_missing_yaml_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_workload_yaml(tmp_path / "absent.yaml")


# --- fuzzing: the loader either builds a workload or raises InputError, nothing else --------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["Conv", "Gemm", "MatMul", "Pool", "Add", "W", "I", "K", "OY", "FX"]),
)
_keys = st.one_of(
    st.sampled_from(
        [
            "name", "fps", "period_s", "suite", "precision", "layers", "operator", "loops",
            "stride", "dilation", "padding", "constant_operands", "costless", "K", "C", "OY",
            "FX", "G", "B", "weight_bits", "input_bits", "id", "equation", "loop_dims",
            "loop_sizes", "operand_precision", "operator_type", "dimension_relations",
            "operand_source", "pr_loop_dims", "pr_loop_sizes",
        ]
    ),
    st.text(max_size=4),
    st.integers(),
)  # fmt: skip
_documents = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=6)
    ),
    max_leaves=12,
)


def _load_or_input_error(text: str) -> None:
    """The loader's only allowed outcomes: a workload with costed MACs, or InputError."""
    try:
        w = workload_from_yaml_text(text, "fuzz.yaml")
    except InputError as exc:
        assert exc.source == "fuzz.yaml" and str(exc)
        return
    assert isinstance(w, Workload) and w.layers


def _mutations(draw_doc: dict, data: st.DataObject) -> dict:
    doc = copy.deepcopy(draw_doc)
    layer = data.draw(st.sampled_from(doc["layers"]))
    key = data.draw(st.sampled_from(["loops", "stride", "padding", "precision", "operator"]))
    layer[key] = data.draw(_documents)
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_documents)
def test_random_documents_only_raise_input_error(doc) -> None:
    try:
        text = yaml.dump(doc, Dumper=_DUMPER)
    except yaml.YAMLError:
        return
    _load_or_input_error(text)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_mutated_valid_documents_only_raise_input_error(data: st.DataObject) -> None:
    doc = _mutations(_valid_doc(), data)
    try:
        w = workload_from_dict(doc, "fuzz.yaml")
    except InputError:
        return
    assert w.total_macs >= 1


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=60))
def test_random_text_only_raises_input_error(text: str) -> None:
    _load_or_input_error(text)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_mutated_zigzag_layers_only_raise_input_error(data: st.DataObject) -> None:
    layers = copy.deepcopy(ZIGZAG_LAYERS)
    layer = data.draw(st.sampled_from(layers))
    key = data.draw(st.sampled_from(sorted(layer)))
    layer[key] = data.draw(_documents)
    _load_or_input_error(yaml.dump(layers, Dumper=_DUMPER))
