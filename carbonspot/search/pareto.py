"""Pareto utilities for minimisation problems: non-dominated sorting, hypervolume, knee point.

The matrix functions take an objective matrix ``F`` of shape ``(n_points, n_objectives)`` where
smaller is better in every column (negate maximised objectives first). Non-finite rows
(infeasible designs stored with ``inf``) never belong to a front. The study functions
(:func:`trial_matrix`, :func:`pareto_front`, :func:`study_hypervolume`) build that matrix from
the feasible COMPLETE trials of an optuna study.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pymoo.indicators.hv import HV
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from carbonspot.search.attrs import constraint_values

if TYPE_CHECKING:  # optuna is imported by the study functions only (reports of sweeps skip it)
    import optuna
    from optuna.trial import FrozenTrial


def _as_matrix(F: np.ndarray) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    if F.ndim == 1:
        F = F.reshape(-1, 1)
    if F.ndim != 2:
        raise ValueError(f"F must be a 2-D matrix (points x objectives), got shape {F.shape}")
    return F


def nondominated_ranks(F: np.ndarray) -> np.ndarray:
    """Front index of every point (0 = non-dominated); non-finite rows get rank ``-1``."""
    F = _as_matrix(F)
    ranks = np.full(len(F), -1, dtype=int)
    finite = np.flatnonzero(np.isfinite(F).all(axis=1))
    if finite.size == 0:
        return ranks
    fronts = NonDominatedSorting().do(F[finite])
    for k, front in enumerate(fronts):
        ranks[finite[front]] = k
    return ranks


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``F`` (minimisation; duplicates all kept)."""
    F = _as_matrix(F)
    mask = np.zeros(len(F), dtype=bool)
    finite = np.flatnonzero(np.isfinite(F).all(axis=1))
    if finite.size == 0:
        return mask
    front = NonDominatedSorting().do(F[finite], only_non_dominated_front=True)
    mask[finite[front]] = True
    return mask


def normalise(
    F: np.ndarray, ideal: np.ndarray | None = None, nadir: np.ndarray | None = None
) -> np.ndarray:
    """Scale ``F`` so ``ideal`` maps to 0 and ``nadir`` to 1 in every column.

    Defaults: the column minimum and maximum of the finite rows. A column with no spread
    is left at 0 so it contributes nothing to distances or volumes.
    """
    F = _as_matrix(F)
    finite = F[np.isfinite(F).all(axis=1)]
    if ideal is None:
        ideal = finite.min(axis=0) if len(finite) else np.zeros(F.shape[1])
    if nadir is None:
        nadir = finite.max(axis=0) if len(finite) else np.ones(F.shape[1])
    ideal = np.asarray(ideal, dtype=float)
    span = np.asarray(nadir, dtype=float) - ideal
    span = np.where(span > 0, span, 1.0)
    return (F - ideal) / span


def hypervolume(
    F: np.ndarray,
    ref: np.ndarray,
    ideal: np.ndarray | None = None,
    nadir: np.ndarray | None = None,
) -> float:
    """Hypervolume dominated by the rows of ``F`` up to the reference point ``ref``.

    With ``ideal`` and ``nadir`` given, ``F`` and ``ref`` are first normalised so that
    ``ideal -> 0`` and ``nadir -> 1`` (comparable volumes across objectives of very different
    units, e.g. pJ and mm²). Rows that are non-finite or do not strictly dominate ``ref`` are
    ignored. Uses pymoo's ``HV`` indicator (moocore backend).
    """
    F = _as_matrix(F)
    ref = np.asarray(ref, dtype=float).reshape(-1)
    if ref.size != F.shape[1]:
        raise ValueError(f"ref has {ref.size} entries for {F.shape[1]} objectives")
    if (ideal is None) != (nadir is None):
        raise ValueError("give both ideal and nadir, or neither")
    if ideal is not None:
        F = normalise(F, ideal, nadir)
        ref = normalise(ref.reshape(1, -1), ideal, nadir)[0]
    keep = np.isfinite(F).all(axis=1) & (ref > F).all(axis=1)
    if not keep.any():
        return 0.0
    return float(HV(ref_point=ref)(F[keep]))


def normalised_hypervolume(
    F: np.ndarray, ideal: np.ndarray, nadir: np.ndarray, margin: float = 0.1
) -> float:
    """Hypervolume after normalising to ``[0, 1]`` with the reference at ``1 + margin``.

    The usual way to compare fronts of one problem: fix ``ideal``/``nadir`` (e.g. from the
    exhaustive front or from all trials) and compare the returned numbers.
    """
    F = normalise(F, ideal, nadir)
    ref = np.full(F.shape[1], 1.0 + margin)
    return hypervolume(F, ref)


def knee_index(F: np.ndarray) -> int:
    """Index (into ``F``) of the knee of the non-dominated front of ``F``.

    The front is normalised to ``[0, 1]``; the knee is the front point farthest below the
    hyperplane through the front's extreme points (Das, 1999, "normal-boundary
    intersection" knee). When that plane is degenerate (e.g. two points, or one objective)
    the point closest to the ideal point is returned.
    """
    F = _as_matrix(F)
    mask = pareto_mask(F)
    if not mask.any():
        raise ValueError("no finite point in F")
    idx = np.flatnonzero(mask)
    P = normalise(F[idx])
    m = P.shape[1]
    if len(idx) > m and m > 1:
        extremes = P[np.argmax(P, axis=0)]  # the point worst in objective j is best in the others
        # Plane through the m extreme points: n . x = 1 (solve n from E n = 1).
        try:
            normal = np.linalg.solve(extremes, np.ones(m))
        except np.linalg.LinAlgError:
            normal = None
        if normal is not None and np.all(np.isfinite(normal)):
            dist = (1.0 - P @ normal) / np.linalg.norm(normal)
            return int(idx[int(np.argmax(dist))])
    return int(idx[int(np.argmin(np.linalg.norm(P, axis=1)))])


# --- fronts of optuna studies ---------------------------------------------------------------


def trial_matrix(
    trials: Sequence[FrozenTrial], directions: Sequence[str]
) -> tuple[list[FrozenTrial], np.ndarray]:
    """Feasible COMPLETE trials and their objective matrix as minimisation.

    Feasible: every constraint satisfied (``≤ 0``) and every objective value finite.
    """
    from optuna.trial import TrialState

    sign = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    keep = []
    for t in trials:
        if t.state != TrialState.COMPLETE or t.values is None:
            continue
        if any(v > 0 for v in constraint_values(t.system_attrs).values()):
            continue
        if not all(math.isfinite(v) for v in t.values):
            continue
        keep.append(t)
    F = np.array([t.values for t in keep], dtype=float).reshape(len(keep), len(directions))
    return keep, F * sign


def directions_of(study: optuna.Study) -> list[str]:
    """Study directions as ``minimize``/``maximize`` strings."""
    import optuna

    return [
        "minimize" if d == optuna.study.StudyDirection.MINIMIZE else "maximize"
        for d in study.directions
    ]


def _complete_trials(study: optuna.Study) -> list[FrozenTrial]:
    from optuna.trial import TrialState

    return study._storage.get_all_trials(
        study._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
    )


def pareto_front(study: optuna.Study) -> tuple[list[FrozenTrial], np.ndarray]:
    """Feasible Pareto-optimal trials of a study (sorted by the first objective) and their
    minimised objective matrix; one trial per distinct objective vector."""
    feas, F = trial_matrix(_complete_trials(study), directions_of(study))
    if not feas:
        return [], F
    mask = pareto_mask(F)
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(F[idx, 0], kind="stable")]
    seen: set[tuple[float, ...]] = set()
    out = []
    for i in idx:
        k = tuple(F[i])
        if k not in seen:
            seen.add(k)
            out.append(i)
    return [feas[i] for i in out], F[out]


HV_MARGIN = 0.1  # the reference point of a study's hypervolume: 1 + margin past the nadir


def study_hypervolume(study: optuna.Study) -> tuple[int, float]:
    """(front size, hypervolume share of the front, between 0 and 1).

    The objectives are normalised by the feasible trials (their ideal point → 0, their nadir
    → 1) and the reference point is ``1 + HV_MARGIN`` in every objective; the share is the
    front's hypervolume divided by the volume of that box, ``(1 + HV_MARGIN) ** m``, so 1 would
    be one design at the ideal point (best in every objective at once).
    """
    _, F = trial_matrix(_complete_trials(study), directions_of(study))
    if len(F) == 0:
        return 0, 0.0
    front = F[pareto_mask(F)]
    ideal, nadir = F.min(axis=0), F.max(axis=0)
    hv = normalised_hypervolume(front, ideal, nadir, margin=HV_MARGIN)
    return len(np.unique(front, axis=0)), hv / (1.0 + HV_MARGIN) ** F.shape[1]
