"""``carbonspot study``: run, resume and inspect multi-objective design-space studies.

``run FILE`` starts or resumes the study of a study file (docs/studies.md); ``worker FILE``
joins it from another process or machine (usually with ``--storage postgresql://…``);
``status``, ``export`` and ``pareto`` read a study back. Without ``--storage`` the study lives
in the embedded journal ``<project>/studies/runs/<name>.journal`` (no server); the dashboard's
figures of a run in ``<project>/studies/runs/<name>.artifacts/``.

Ctrl-C (SIGINT) or SIGTERM stops a run: completed trials are kept, the trials in flight are
marked interrupted (FAIL with ``carbonspot:interrupted``, counted apart from failures), and
running the same command again resumes the study.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

from carbonspot.cli._output import print_table
from carbonspot.errors import InputError
from carbonspot.formatting import CARBON_LEGEND
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

    def figures_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--figures",
            type=int,
            default=None,
            metavar="N",
            help="at the end of the run, attach the report's figures to N Pareto-front trials "
            "for the dashboard (default 4; 0: the study note only)",
        )

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
    figures_flag(run)
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
    figures_flag(worker)
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
    """tqdm bar over COMPLETE trials with the front size and the hypervolume share (0–1)."""

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


def resume_command(args: argparse.Namespace) -> str:
    """The command that resumes the run of ``args`` (the same command, as a shell line)."""
    words = ["carbonspot", "study", args.study_command, args.file]
    for flag, value in (
        ("--storage", args.storage),
        ("--n-trials", getattr(args, "n_trials", None)),
        ("--solver", getattr(args, "solver", None)),
        ("--seed", getattr(args, "seed", None)),
        ("--jobs", getattr(args, "jobs", 1) if getattr(args, "jobs", 1) != 1 else None),
        ("--figures", getattr(args, "figures", None)),
    ):
        if value is not None:
            words += [flag, str(value)]
    return shlex.join(words)


def _interrupted(exc: Any, spec: Any, resume: str) -> int:
    """The message of a run stopped by a signal; the exit code 128 + signal number."""
    kept = "" if exc.n_complete is None else f"keeps its {exc.n_complete} completed trials"
    where = f" ({exc.storage_url})" if exc.storage_url else ""
    print(
        f"carbonspot: interrupted by {exc.signal_name}: study {spec.name!r} {kept}{where}; "
        f"{exc.n_interrupted} trial(s) in flight marked interrupted (not failed).\n"
        f"Resume with: {resume}",
        file=sys.stderr,
    )
    return 128 + int(getattr(signal, exc.signal_name, signal.SIGINT))


def _annotate(session: Any, spec: Any, figures: int | None) -> None:
    """The study note and the front trials' figures for the dashboard (end of a run)."""
    from carbonspot.report.study_notes import MAX_TRIALS, annotate_study
    from carbonspot.search import storage as st

    where = st.artifact_dir(session.url, spec.name, spec.project_dir)
    try:
        done = annotate_study(session.study, where, MAX_TRIALS if figures is None else figures)
    except Exception as exc:  # noqa: BLE001 - the dashboard's extras must not sink a finished run
        print(
            f"carbonspot: warning: the study note and figures were not written "
            f"({type(exc).__name__}: {exc}); the trials are complete",
            file=sys.stderr,
        )
        return
    shown = f"figures of {done.trials} Pareto-front trials in {where}" if done.trials else ""
    print(f"dashboard: study note{' and ' + shown if shown else ''}")


def _run(
    spec: Any,
    url: str | None,
    jobs: int,
    seed: int,
    progress: bool,
    resume: str,
    figures: int | None = None,
) -> int:
    from carbonspot.search.runner import RunInterrupted, interrupt_signals, run_study

    _positive(jobs, "--jobs")
    if figures is not None and figures < 0:
        raise InputError("must be 0 or a positive integer", field="--figures")
    bar = Progress(spec.n_trials, progress)
    try:
        with interrupt_signals():
            run = run_study(spec, url, jobs=jobs, seed=seed, progress=bar)
        bar(run.session, force=True)
    except RunInterrupted as exc:
        bar.close()
        return _interrupted(exc, spec, resume)
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
    _annotate(session, spec, figures)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``study run FILE``."""
    spec = _spec(args)
    seed = spec.seed
    return _run(
        spec,
        args.storage,
        args.jobs,
        seed,
        not args.no_progress,
        resume_command(args),
        args.figures,
    )


def cmd_worker(args: argparse.Namespace) -> int:
    """``study worker FILE --storage URL``: one more process on a shared study."""
    from carbonspot.search.runner import pid_seed

    spec = _spec(args)
    seed = args.seed if args.seed is not None else pid_seed()
    return _run(
        spec, args.storage, 1, seed, not args.no_progress, resume_command(args), args.figures
    )


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


def trial_counts(study: Any) -> dict[str, int]:
    """Trials per state, FAIL split into ``fail`` (errors) and ``interrupted`` (a signal)."""
    from optuna.trial import TrialState

    from carbonspot.search.attrs import parse_trial

    counts = {s.name.lower(): 0 for s in TrialState}
    counts["interrupted"] = 0
    for t in study._storage.get_all_trials(study._study_id, deepcopy=False):
        key = t.state.name.lower()
        if t.state == TrialState.FAIL and parse_trial(t).interrupted:
            key = "interrupted"
        counts[key] += 1
    return counts


def _print_front(study: Any) -> None:
    rows, columns = _front_rows(study)
    print(f"Pareto front ({len(rows)} designs, feasible only; * = knee):")
    print_table(rows, columns)
    print(CARBON_LEGEND)
    counts = trial_counts(study)
    if counts["interrupted"] or counts["fail"]:
        print(
            f"not in the front: {counts['interrupted']} interrupted trial(s) (stopped by a "
            f"signal; running the study again resumes it), {counts['fail']} failed trial(s)"
        )


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
    counts = trial_counts(study)
    info = study.user_attrs.get(SPEC_ATTR, {})
    size, hv = study_hypervolume(study)
    feasible = sum(1 for t in trials if t.state == TrialState.COMPLETE and parse_trial(t).feasible)
    rows = [
        {"field": "study", "value": study.study_name},
        {"field": "solver", "value": info.get("solver", "")},
        {"field": "mapper", "value": info.get("mapper", "")},
        {"field": "budget (n_trials)", "value": info.get("n_trials", "")},
        {"field": "objectives", "value": ", ".join(_objective_labels(study))},
        *({"field": f"trials {k}", "value": v} for k, v in counts.items() if v),
        {"field": "feasible designs", "value": feasible},
        {"field": "pareto front size", "value": size},
        {"field": "hypervolume share (0-1)", "value": round(hv, 6)},
    ]
    print_table(rows, ["field", "value"])
    print(
        "hypervolume share: the front's hypervolume over the box from the ideal point to 1.1 x "
        "the nadir of the feasible trials (objectives normalised); 1 = one design best in all"
    )
    if counts["interrupted"]:
        print(
            "interrupted: trials a SIGINT or SIGTERM stopped (not failures); running the study "
            "again resumes it"
        )
    return 0


def export_rows(study: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per trial: number, state, params, objectives, constraints and metrics.

    ``interrupted`` names the signal that stopped a FAIL trial ('' for real failures and every
    other trial); ``reason`` says why a trial is infeasible, skipped, failed or interrupted.
    """
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
        row["interrupted"] = a.interrupted
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
    columns = [
        "number",
        "state",
        *params,
        *labels,
        "feasible",
        "interrupted",
        "reason",
        *cons,
        *metrics,
        *wl_cols,
    ]
    return rows, columns


def cmd_export(args: argparse.Namespace) -> int:
    """``study export NAME --csv FILE``."""
    study = _load(args.name, args.storage)
    rows, columns = export_rows(study)
    from carbonspot.search.files.sweep_file import write_rows_csv

    write_rows_csv(rows, args.csv, columns, field="--csv")
    print(f"wrote {len(rows)} trials to {args.csv}")
    return 0
