"""Pareto utilities: non-dominated mask, hypervolume (pymoo HV), knee point."""

import numpy as np
import pytest

from carbonspot.search.pareto import (
    hypervolume,
    knee_index,
    nondominated_ranks,
    normalised_hypervolume,
    pareto_mask,
)


def test_pareto_mask_minimisation_and_non_finite_rows():
    F = np.array([[1, 3], [2, 2], [3, 1], [3, 3], [2.5, 2.5], [np.inf, 0.0]])
    assert pareto_mask(F).tolist() == [True, True, True, False, False, False]
    assert nondominated_ranks(F).tolist() == [0, 0, 0, 2, 1, -1]


def test_pareto_mask_matches_brute_force():
    rng = np.random.default_rng(0)
    F = rng.random((200, 3))
    brute = np.array([not any((g <= f).all() and (g < f).any() for g in F) for f in F])
    assert (pareto_mask(F) == brute).all()


def test_hypervolume_staircase_by_hand():
    # Staircase (1,3),(2,2),(3,1) to ref (4,4): 1*1 + 1*2 + 1*3 = 6 (rectangles by hand).
    F = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [5.0, 0.5]])  # last one outside ref
    assert hypervolume(F, np.array([4.0, 4.0])) == pytest.approx(6.0)


def test_hypervolume_normalised():
    F = np.array([[0.0, 100.0], [10.0, 0.0]])
    # normalised to (0,1),(1,0); ref 1.1: 1.1*0.1 + 0.1*1.1 - 0.1*0.1 = 0.21
    hv = normalised_hypervolume(F, ideal=np.array([0.0, 0.0]), nadir=np.array([10.0, 100.0]))
    assert hv == pytest.approx(0.21)


def test_knee_is_the_bulge_of_a_convex_front():
    F = np.array([[0.0, 1.0], [0.1, 0.5], [0.2, 0.2], [0.5, 0.1], [1.0, 0.0], [0.9, 0.9]])
    assert knee_index(F) == 2
