"""A refactoring moves code, not numbers: the paper-tiny sweep equals its stored baseline.

The baseline (tests/data/baseline/paper_tiny_sweep.csv, see its SOURCE.md) was written before
the package was restructured; every value of every row must come out the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carbonspot.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "data" / "baseline" / "paper_tiny_sweep.csv"
KEY = ["workload", "acc_type", "sram_bytes", "dim"]


@pytest.fixture(scope="module")
def rerun(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("sweep") / "paper_tiny.csv"
    rc = main(
        ["sweep", str(ROOT / "studies" / "paper-tiny.yaml"), "--out", str(out), "--no-progress"]
    )
    assert rc == 0
    return pd.read_csv(out)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(KEY, kind="stable").reset_index(drop=True)


def test_same_rows_and_columns(rerun: pd.DataFrame):
    base = pd.read_csv(BASELINE)
    assert len(rerun) == len(base) == 520
    assert sorted(rerun.columns) == sorted(base.columns)
    assert _sorted(rerun)[KEY].equals(_sorted(base)[KEY])


def test_every_value_identical(rerun: pd.DataFrame):
    base = _sorted(pd.read_csv(BASELINE))
    new = _sorted(rerun)[base.columns]
    for col in base.columns:
        a, b = base[col], new[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            same = (a.to_numpy() == b.to_numpy()) | (
                np.isnan(a.to_numpy(float)) & np.isnan(b.to_numpy(float))
            )
        else:
            same = a.fillna("").astype(str).to_numpy() == b.fillna("").astype(str).to_numpy()
        bad = np.flatnonzero(~same)
        assert bad.size == 0, (
            f"{col}: {bad.size} rows differ, e.g. {base.loc[bad[0], KEY].to_dict()}: {a.iloc[bad[0]]!r} -> {b.iloc[bad[0]]!r}"
        )
