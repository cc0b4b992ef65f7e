"""``carbonspot study``: run, resume and inspect multi-objective design-space studies.

``run FILE`` starts or resumes the study of a study file (docs/studies.md); ``worker FILE``
joins it from another process or machine (usually with ``--storage postgresql://…``);
``status``, ``export`` and ``pareto`` read a study back. Without ``--storage`` the study lives
in the embedded journal ``<project>/studies/runs/<name>.journal`` (no server).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from carbonspot.cli._output import print_table
from carbonspot.errors import InputError
from carbonspot.search.solvers import SOLVER_NAMES


def register(subparsers: Any) -> None:
    """Add ``study`` and its sub-commands."""
    parser = subparsers.add_parser(
        "study",
        help="multi-objective design-space studies (pymoo NSGA-II, optuna, grid)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="study_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    def storage_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--storage",
            metavar="URL",
            help="optuna storage URL (postgresql://…, sqlite:///…) or a .journal file "
            "(default: the embedded journal studies/runs/<name>.journal)",
        )

    run = sub.add_parser("run", help="start or resume the study of a study file")
    run.add_argument("file", help="study file (YAML)")
    run.add_argument("--solver", choices=SOLVER_NAMES, help="override the file's solver")
    run.add_argument("--n-trials", type=int, help="budget: COMPLETE trials of the study")
    run.add_argument("--jobs", type=int, default=1, help="parallel processes (default 1)")
    run.add_argument("--seed", type=int, help="override the file's seed")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    storage_flag(run)
    run.set_defaults(func=cmd_run)

    worker = sub.add_parser(
        "worker", help="join a study from another process or machine (shared storage)"
    )
    worker.add_argument("file", help="study file (YAML)")
    worker.add_argument("--n-trials", type=int, help="budget of the whole study")
    worker.add_argument("--solver", choices=SOLVER_NAMES, help="override the file's solver")
    worker.add_argument(
        "--seed", type=int, help="sampler seed of this worker (default: derived from its pid)"
    )
    worker.add_argument("--no-progress", action="store_true", help="no progress bar")
    storage_flag(worker)
    worker.set_defaults(func=cmd_worker)

    status = sub.add_parser("status", help="trial counts, budget and front of a study")
    status.add_argument("name", help="study name or study file")
    storage_flag(status)
    status.set_defaults(func=cmd_status)

    export = sub.add_parser("export", help="one CSV row per trial")
    export.add_argument("name", help="study name or study file")
    export.add_argument("--csv", required=True, metavar="FILE", help="output CSV file")
    storage_flag(export)
    export.set_defaults(func=cmd_export)

    pareto = sub.add_parser("pareto", help="the study's Pareto front as a table")
    pareto.add_argument("name", help="study name or study file")
    storage_flag(pareto)
    pareto.set_defaults(func=cmd_pareto)


# --- helpers --------------------------------------------------------------------------------


def _positive(value: int | None, flag: str) -> None:
    if value is not None and value <= 0:
        raise InputError("must be a positive integer", field=flag)


def _spec(args: argparse.Namespace) -> Any:
    from carbonspot.search.files.study_file import load_study_file

    _positive(getattr(args, "n_trials", None), "--n-trials")
    spec = load_study_file(args.file)
    return spec.with_overrides(
        solver=getattr(args, "solver", None),
        n_trials=getattr(args, "n_trials", None),
        seed=getattr(args, "seed", None),
    )


class Progress:
    """tqdm bar over COMPLETE trials with the front size and normalised hypervolume."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self._last = 0.0
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="trial", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, session: Any, force: bool = False) -> None:
        if self.bar is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        from carbonspot.search.pareto import study_hypervolume

        n = session.n_complete()
        size, hv = study_hypervolume(session.study)
        self.bar.n = min(n, self.bar.total)
        self.bar.set_postfix(front=size, hv=f"{hv:.4f}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run(spec: Any, url: str | None, jobs: int, seed: int, progress: bool) -> int:
    from carbonspot.search.runner import run_study

    _positive(jobs, "--jobs")
    bar = Progress(spec.n_trials, progress)
    try:
        run = run_study(spec, url, jobs=jobs, seed=seed, progress=bar)
        bar(run.session, force=True)
    finally:
        bar.close()
    if run.failed_workers:
        print(f"carbonspot: error: {run.failed_workers} worker process(es) failed", file=sys.stderr)
        return 1
    session, outcome = run.session, run.outcome
    where = session.url
    print(
        f"study {spec.name!r}: {outcome.n_complete} complete trials "
        f"({outcome.n_evaluated} evaluated by this run; {outcome.stopped}); storage {where}"
    )
    if outcome.failed_stale:
        print(f"failed stale trials of killed processes: {outcome.failed_stale}")
    _print_front(session.study)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``study run FILE``."""
    spec = _spec(args)
    seed = spec.seed
    return _run(spec, args.storage, args.jobs, seed, not args.no_progress)


def cmd_worker(args: argparse.Namespace) -> int:
    """``study worker FILE --storage URL``: one more process on a shared study."""
    from carbonspot.search.runner import pid_seed

    spec = _spec(args)
    seed = args.seed if args.seed is not None else pid_seed()
    return _run(spec, args.storage, 1, seed, not args.no_progress)


def _load(name: str, url: str | None) -> Any:
    """(study, spec or None) for a study name or study file, on ``url`` or the default journal."""
    import optuna

    from carbonspot.search import storage as st

    path = Path(name)
    spec = None
    if path.suffix in (".yaml", ".yml") and path.exists():
        from carbonspot.search.files.study_file import load_study_file

        spec = load_study_file(path)
        study_name = spec.name
        default = spec.default_storage_path()
    else:
        study_name = name
        default = st.default_journal_path(name)
    if url is None:
        if not default.exists():
            raise InputError(
                f"no study {study_name!r}: {default} does not exist (run it first, or give "
                "--storage)",
                field="NAME",
            )
        url = str(default)
    else:
        st.require_existing_journal(url)
    storage = st.open_storage(url, retry_stale=False)
    try:
        study = optuna.load_study(
            study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler()
        )
    except KeyError:
        names = optuna.get_all_study_names(storage)
        raise InputError(f"no study {study_name!r} in {url}", field="NAME", allowed=names) from None
    return study


def _objective_labels(study: Any) -> list[str]:
    names = study.metric_names
    return list(names) if names else [f"objective_{i}" for i in range(len(study.directions))]


def _front_rows(study: Any) -> tuple[list[dict[str, Any]], list[str]]:
    from carbonspot.search.attrs import parse_trial
    from carbonspot.search.pareto import knee_index, pareto_front

    trials, F = pareto_front(study)
    labels = _objective_labels(study)
    params: list[str] = []
    for t in trials:
        for k in t.params:
            if k not in params:
                params.append(k)
    knee = knee_index(F) if len(trials) else -1
    rows = []
    for i, t in enumerate(trials):
        row: dict[str, Any] = {"trial": t.number}
        design = parse_trial(t).design
        for k in params:
            row[k] = t.params.get(k, design.get(k))
        for label, v in zip(labels, t.values, strict=True):
            row[label] = v
        row["knee"] = "*" if i == knee else ""
        rows.append(row)
    return rows, ["trial", *params, *labels, "knee"]


def _print_front(study: Any) -> None:
    rows, columns = _front_rows(study)
    print(f"Pareto front ({len(rows)} designs, feasible only; * = knee):")
    print_table(rows, columns)


def cmd_pareto(args: argparse.Namespace) -> int:
    """``study pareto NAME``."""
    _print_front(_load(args.name, args.storage))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """``study status NAME``."""
    from optuna.trial import TrialState

    from carbonspot.search.attrs import SPEC_ATTR, parse_trial
    from carbonspot.search.pareto import study_hypervolume

    study = _load(args.name, args.storage)
    trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
    counts = {s.name: 0 for s in TrialState}
    for t in trials:
        counts[t.state.name] += 1
    info = study.user_attrs.get(SPEC_ATTR, {})
    size, hv = study_hypervolume(study)
    feasible = sum(1 for t in trials if t.state == TrialState.COMPLETE and parse_trial(t).feasible)
    rows = [
        {"field": "study", "value": study.study_name},
        {"field": "solver", "value": info.get("solver", "")},
        {"field": "mapper", "value": info.get("mapper", "")},
        {"field": "budget (n_trials)", "value": info.get("n_trials", "")},
        {"field": "objectives", "value": ", ".join(_objective_labels(study))},
        *({"field": f"trials {k.lower()}", "value": v} for k, v in counts.items() if v),
        {"field": "feasible designs", "value": feasible},
        {"field": "pareto front size", "value": size},
        {"field": "hypervolume (normalised)", "value": round(hv, 6)},
    ]
    print_table(rows, ["field", "value"])
    return 0


def export_rows(study: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per trial: number, state, params, objectives, constraints and metrics."""
    from carbonspot.search.attrs import parse_trial

    trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
    labels = _objective_labels(study)
    params: list[str] = []
    cons: list[str] = []
    metrics: list[str] = []
    wl_cols: list[str] = []
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.name}
        row.update(t.params)
        for k in t.params:
            if k not in params:
                params.append(k)
        if t.values is not None:
            row.update(dict(zip(labels, t.values, strict=False)))
        a = parse_trial(t)
        for name, v in a.constraints.items():
            col = f"constraint_{name}"
            row[col] = v
            if col not in cons:
                cons.append(col)
        row["feasible"] = a.feasible
        row["reason"] = a.note
        for k, v in a.metrics.items():
            col = f"metric_{k}"
            row[col] = v
            if col not in metrics:
                metrics.append(col)
        for wl, wrow in a.workloads.items():
            for k in ("energy_pj", "latency_ns", "carbon_ca_g", "carbon_pa_g"):
                if k in wrow:
                    col = f"{wl}_{k}"
                    row[col] = wrow[k]
                    if col not in wl_cols:
                        wl_cols.append(col)
        rows.append(row)
    columns = ["number", "state", *params, *labels, "feasible", "reason", *cons, *metrics, *wl_cols]
    return rows, columns


def cmd_export(args: argparse.Namespace) -> int:
    """``study export NAME --csv FILE``."""
    study = _load(args.name, args.storage)
    rows, columns = export_rows(study)
    from carbonspot.search.files.sweep_file import write_rows_csv

    write_rows_csv(rows, args.csv, columns, field="--csv")
    print(f"wrote {len(rows)} trials to {args.csv}")
    return 0
