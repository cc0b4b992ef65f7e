"""``carbonspot dashboard``: optuna-dashboard on a study's storage (loopback by default).

The dashboard only reads the storage while studies run (journal files are appended under a
file lock; PostgreSQL serves concurrent readers), so it can be left open on a running study.
It also serves the figures a run attached to its Pareto-front trials (optuna artifacts), from
``--artifact-dir`` or, by default, the folder beside the journal
(``studies/runs/<name>.artifacts/``) when it exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from carbonspot.errors import InputError


def register(subparsers: Any) -> None:
    """Add the ``dashboard`` sub-command."""
    parser = subparsers.add_parser(
        "dashboard",
        help="serve optuna-dashboard for a study storage",
        description=__doc__,
    )
    parser.add_argument(
        "study",
        nargs="?",
        help="study file or study name (its embedded journal); or give --storage",
    )
    parser.add_argument("--storage", metavar="URL", help="storage URL or .journal file")
    parser.add_argument(
        "--artifact-dir",
        metavar="DIR",
        help="the study's figures (optuna FileSystemArtifactStore; default: "
        "studies/runs/<name>.artifacts/ beside the journal, when it exists)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.set_defaults(func=run)


def _storage_url(args: argparse.Namespace) -> str:
    from carbonspot.search import storage as st

    if args.storage:
        st.require_existing_journal(args.storage)
        return args.storage
    if args.study:
        path = Path(args.study)
        if path.suffix in (".yaml", ".yml") and path.exists():
            from carbonspot.search.files.study_file import load_study_file

            journal = load_study_file(path).default_storage_path()
        else:
            journal = st.default_journal_path(args.study)
        if not journal.exists():
            raise InputError(f"no study storage {journal} (run the study first)", field="study")
        return str(journal)
    runs = st.project_journals()
    if len(runs) == 1:
        return str(runs[0])
    raise InputError(
        "give --storage URL or a study"
        + (f" ({len(runs)} journals in {st.RUNS_DIR.as_posix()}/)" if runs else ""),
        field="--storage",
        allowed=[p.stem for p in runs] or None,
    )


def artifact_path(args: argparse.Namespace, url: str) -> Path | None:
    """The artifact folder to serve: ``--artifact-dir``, else the study's beside its storage."""
    from carbonspot.search import storage as st

    if args.artifact_dir:
        path = Path(args.artifact_dir)
        if not path.is_dir():
            raise InputError(f"no artifact folder {path}", field="--artifact-dir")
        return path
    candidates = []
    if st.is_journal(url):
        path = st.journal_path(url)
        candidates.append(st.artifact_dir(url, path.name.removesuffix(st.JOURNAL_SUFFIX)))
    elif args.study:
        spec_path = Path(args.study)
        if spec_path.suffix in (".yaml", ".yml") and spec_path.exists():
            from carbonspot.search.files.study_file import load_study_file

            spec = load_study_file(spec_path)
            candidates.append(st.artifact_dir(url, spec.name, spec.project_dir))
        else:
            candidates.append(st.artifact_dir(url, args.study))
    return next((p for p in candidates if p.is_dir()), None)


def run(args: argparse.Namespace) -> int:
    """Start optuna-dashboard's ``run_server`` (blocks until interrupted)."""
    from optuna.artifacts import FileSystemArtifactStore
    from optuna_dashboard import run_server

    from carbonspot.search import storage as st

    if not 0 < args.port < 65536:
        raise InputError("must be a port number 1-65535", field="--port")
    url = _storage_url(args)
    artifacts = artifact_path(args, url)
    storage = st.open_storage(url, retry_stale=False)
    print(
        f"optuna-dashboard on http://{args.host}:{args.port}/ (storage {url}; "
        f"{f'artifacts {artifacts}' if artifacts else 'no artifact folder'}); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    store = FileSystemArtifactStore(artifacts) if artifacts else None
    try:
        run_server(storage, host=args.host, port=args.port, artifact_store=store)
    except OSError as exc:
        raise InputError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror})", field="--port"
        ) from None
    return 0
