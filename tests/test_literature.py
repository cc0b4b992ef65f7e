"""Literature study: the paper's computed table (carbonspot-model.md §2.1.1), the selections, the
JSON/table output, users' chip files and the figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from carbonspot.carbon.chips import builtin_chips_path, load_chips, read_chips
from carbonspot.carbon.literature import SUITES
from carbonspot.carbon.params import get_carbon_params
from carbonspot.cli import main
from carbonspot.errors import InputError
from carbonspot.report.literature import evaluate_literature, literature_json

# carbonspot-model.md §2.1.1 "Computed carbon per inference (run)":
# cit: (tiny CA g, op%, tiny PA g, op%, mobile CA g, op%, mobile PA g, op%)
PAPER = {
    1: (7.182e-11, 99.3, 5.809e-09, 1.2, 2.079e-08, 99.3, 2.150e-08, 96.1),
    2: (1.502e-10, 93.8, 1.755e-07, 0.1, 4.348e-08, 93.8, 6.677e-08, 61.1),
    3: (5.838e-11, 99.6, 1.069e-09, 5.4, 1.690e-08, 99.6, 1.699e-08, 99.1),
    4: (1.022e-10, 99.5, 9.660e-10, 10.5, 2.960e-08, 99.5, 2.959e-08, 99.6),
    5: (8.035e-11, 92.1, 1.483e-08, 0.5, 2.326e-08, 92.1, 2.362e-08, 90.8),
    6: (7.774e-11, 74.9, 7.377e-07, 0.0, 2.251e-08, 74.9, 1.260e-07, 13.4),
    7: (7.016e-10, 99.7, 1.033e-07, 0.7, 2.031e-07, 99.7, 2.176e-07, 93.0),
    8: (4.232e-11, 93.7, 2.505e-09, 1.6, 1.225e-08, 93.7, 1.184e-08, 96.9),
    9: (1.743e-11, 90.6, 6.678e-09, 0.2, 5.046e-09, 90.6, 5.559e-09, 82.3),
    10: (3.030e-11, 64.2, 1.338e-08, 0.1, 8.773e-09, 64.2, 7.609e-09, 74.0),
    11: (7.491e-10, 25.6, 5.475e-07, 0.0, 2.169e-07, 25.6, 1.365e-07, 40.7),
    12: (2.067e-10, 99.5, 2.626e-09, 7.8, 5.983e-08, 99.5, 5.989e-08, 99.4),
    13: (4.742e-10, 92.3, 1.936e-09, 22.6, 1.373e-07, 92.3, 1.270e-07, 99.8),
}
PAPER_TOPSW = {9: 111.6, 11: 9.188, 12: 8.569, 13: 4.025, 4: 17.31, 8: 44.44}


def _round3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.mark.parametrize("suite, col", [("tiny", 0), ("mobile", 4)])
def test_reproduces_paper_table_to_3_significant_digits(suite, col):
    res = evaluate_literature(load_chips(), SUITES[suite], get_carbon_params("carbonspot2025"))
    ids = [c.id for c in res.chips]
    assert ids == list(range(1, 14))
    c = res.carbon
    worst = 0.0
    for i, cid in enumerate(ids):
        ca, op_ca, pa, op_pa = PAPER[cid][col : col + 4]
        assert _round3(c["carbon_ca_g"][i]) == _round3(ca), (suite, cid, "CA")
        assert _round3(c["carbon_pa_g"][i]) == _round3(pa), (suite, cid, "PA")
        assert 100 * c["operational_share_ca"][i] == pytest.approx(op_ca, abs=0.051)
        assert 100 * c["operational_share_pa"][i] == pytest.approx(op_pa, abs=0.051)
        worst = max(worst, abs(c["carbon_ca_g"][i] / ca - 1), abs(c["carbon_pa_g"][i] / pa - 1))
    assert worst < 5e-4  # the table is printed to 4 digits


def test_chip_table_normalisation():
    chips = {c.id: c for c in load_chips()}
    for cid, topsw in PAPER_TOPSW.items():
        assert chips[cid].tops_per_w == pytest.approx(topsw, rel=5e-4)
    # implied areas, carbonspot-model.md §2.1.1 column A = tops/topsmm2
    assert chips[4].area_mm2 == pytest.approx(0.033)
    assert chips[8].area_mm2 == pytest.approx(0.636 * 0.148)
    assert chips[6].area_mm2 == pytest.approx(25.0)
    assert chips[9].int8_factor == "1/0.36" and chips[9].int8_note


def test_selections_computed():
    p = get_carbon_params("carbonspot2025")
    tiny = literature_json(evaluate_literature(load_chips(), SUITES["tiny"], p))
    assert (tiny["most_performant"], tiny["most_carbon_efficient_ca"]) == (9, 9)
    assert tiny["most_carbon_efficient_pa"] == 4
    mobile = literature_json(evaluate_literature(load_chips(), SUITES["mobile"], p))
    assert mobile["most_performant"] == mobile["most_carbon_efficient_ca"] == 9
    assert mobile["most_carbon_efficient_pa"] == 9


def test_selection_follows_the_data():
    # a user chip far better than all others wins every criterion
    p = get_carbon_params("corrected")
    chips = load_chips()
    from dataclasses import replace

    star = replace(chips[0], id="star", tops_per_w=1000.0, tops=10.0, tops_per_mm2=1000.0)
    res = literature_json(evaluate_literature([*chips, star], SUITES["tiny"], p))
    assert res["most_performant"] == res["most_carbon_efficient_ca"] == "star"
    assert res["most_carbon_efficient_pa"] == "star"


def test_deadline_rule_excludes_late_chips_from_pa_choice():
    # mobile suite, 40 ms period: [11] needs ≈ 80 ms per inference
    res = evaluate_literature(load_chips(), SUITES["mobile"], get_carbon_params("corrected"))
    meets = dict(zip([c.id for c in res.chips], res.carbon["meets_period"], strict=True))
    assert not meets[11] and not meets[13] and meets[9]
    assert res.carbon["meets_period"][res.best["most_carbon_efficient_pa"]]


def test_package_dram_option_adds_embodied():
    p = get_carbon_params("corrected")
    base = evaluate_literature(load_chips(), SUITES["tiny"], p)
    full = evaluate_literature(load_chips(), SUITES["tiny"], p, include_package_dram=True)
    extra = full.carbon["carbon_pa_g"] - base.carbon["carbon_pa_g"]
    share = SUITES["tiny"].period_ns / (3 * 3.1536e16)
    np.testing.assert_allclose(extra, (150 + 201 / 1024) * share, rtol=1e-9)


def test_cli_json(capsys):
    assert (
        main(["literature", "--suite", "tiny", "--format", "json", "--preset", "carbonspot2025"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["chips"]] == list(range(1, 14))
    first = doc["chips"][0]
    for key in (
        "id",
        "node_nm",
        "tops_per_w",
        "carbon_ca_g",
        "carbon_pa_g",
        "operational_share_ca",
        "operational_share_pa",
    ):
        assert key in first
    assert _round3(first["carbon_ca_g"]) == _round3(PAPER[1][0])
    assert (
        doc["most_performant"],
        doc["most_carbon_efficient_ca"],
        doc["most_carbon_efficient_pa"],
    ) == (9, 9, 4)


def test_cli_table_and_user_chips(tmp_path, capsys):
    f = tmp_path / "mine.csv"
    f.write_text("id,node_nm,tops_per_w,tops,tops_per_mm2,type\nmine,7,50,1.0,2.0,DIMC\n")
    assert (
        main(["literature", "--suite", "mobile", "--chips", str(f), "--carbon", "grid=europe_2023"])
        == 0
    )
    out = capsys.readouterr().out
    assert "mine" in out and "most performant: CICC'23 DIMC 28nm iMCU;" in out
    assert main(["literature", "--no-builtin", "--chips", str(f), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["chips"]] == ["mine"]


@pytest.mark.parametrize(
    "content, needle",
    [
        ("id,node_nm,tops\n1,7,1\n", "missing column"),
        ("id,node_nm,tops_per_w,tops,tops_per_mm2,colour\nx,7,1,1,1,red\n", "unknown column"),
        ("id,node_nm,tops_per_w,tops,tops_per_mm2\nx,7,fast,1,1\n", "not a number"),
        ("id,node_nm,tops_per_w,tops,tops_per_mm2\nx,7,-1,1,1\n", "positive"),
        ("id,node_nm,tops_per_w,tops,tops_per_mm2\n9,28,1,1,1\n", "appears twice"),
    ],
)
def test_bad_chip_files(tmp_path, content, needle):
    f = tmp_path / "c.csv"
    f.write_text(content)
    with pytest.raises(InputError, match=needle):
        load_chips([f])


def test_cli_errors_exit_2(tmp_path, capsys):
    assert main(["literature", "--no-builtin"]) == 2
    assert main(["literature", "--carbon", "node=7"]) == 2
    f = tmp_path / "c.csv"
    f.write_text("id,node_nm,tops_per_w,tops,tops_per_mm2\nold,65,10,1,1\n")
    assert main(["literature", "--chips", str(f)]) == 2  # 65 nm: no fab data
    err = capsys.readouterr().err
    assert "node_nm" in err and "Traceback" not in err


def test_plot_written(tmp_path):
    res = evaluate_literature(load_chips(), SUITES["tiny"], get_carbon_params("carbonspot2025"))
    from carbonspot.report.literature import plot_literature

    out = plot_literature(res, tmp_path / "lit.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_read_builtin_has_sources():
    chips = read_chips(builtin_chips_path())
    assert len(chips) == 13 and all(c.doi for c in chips)
