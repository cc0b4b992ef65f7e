"""Study storage: an embedded journal file (no server) or any optuna storage URL.

* No URL: ``JournalStorage(JournalFileBackend(<project>/studies/runs/<study>.journal))`` — an
  append-only log guarded by a file lock, safe for several processes on one machine. That path
  is built in one place, :func:`default_journal_path`.
* A path ending in ``.journal`` (or ``journal:///path``): that journal file.
* Any SQLAlchemy URL (``postgresql://…``, ``sqlite:///…``, ``mysql+pymysql://…``): optuna's
  ``RDBStorage`` with a heartbeat, so trials of killed workers are failed (and, for the optuna
  samplers, retried with ``RetryHeartbeatStaleTrialCallback``). ``postgresql://`` uses psycopg 3.

Journal storages have no heartbeat in optuna; this module adds one (a trial system attribute
refreshed by a thread) and also fails at once the RUNNING trials of dead processes on this host.

A study writes few, whole records: :func:`create_running_trials` claims a batch of designs and
:func:`finish_trial` stores a trial's attributes, its dashboard note and its final state
together. On a journal each is one append (one lock, one ``write``) of the same one-key records
optuna writes, so any optuna reads the file; a trial is COMPLETE only once its state record is
in the file, so a process killed at any point loses no completed trial. Other storages get the
same calls one by one.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import distribution_to_json
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import get_lock_file
from optuna.storages.journal._storage import JournalOperation
from optuna.trial import FrozenTrial, TrialState

from carbonspot.errors import InputError
from carbonspot.search.attrs import FAILED_REASON
from carbonspot.search.attrs import HEARTBEAT_ATTR as HEARTBEAT_ATTR  # re-exported
from carbonspot.search.attrs import WORKER_ATTR as WORKER_ATTR  # re-exported

HEARTBEAT_INTERVAL_S = 10
GRACE_PERIOD_S = 60
RUNS_DIR = Path("studies") / "runs"  # embedded journals, under a project folder
JOURNAL_SUFFIX = ".journal"
ARTIFACTS_SUFFIX = ".artifacts"  # a study's dashboard figures, beside its journal


def default_journal_path(name: str, project_dir: str | Path | None = None) -> Path:
    """The embedded journal of study ``name``: ``<project>/studies/runs/<name>.journal``.

    ``project_dir`` defaults to the current directory (a study given by name, not by file).
    """
    base = Path.cwd() if project_dir is None else Path(project_dir)
    return base / RUNS_DIR / f"{name}{JOURNAL_SUFFIX}"


def project_journals(project_dir: str | Path | None = None) -> list[Path]:
    """The embedded journals of a project (default: the current directory), sorted."""
    base = Path.cwd() if project_dir is None else Path(project_dir)
    return sorted((base / RUNS_DIR).glob(f"*{JOURNAL_SUFFIX}"))


def artifact_dir(url: str | None, name: str, project_dir: str | Path | None = None) -> Path:
    """Where the dashboard figures (optuna artifacts) of study ``name`` live.

    Beside a journal: ``studies/runs/<name>.journal`` → ``studies/runs/<name>.artifacts/``; for a
    database storage (``url`` not a journal) the folder the default journal would be beside.
    ``url`` ``None`` is the default journal.
    """
    if url is not None and is_journal(url):
        path = journal_path(url)
        return path.with_name(path.name.removesuffix(JOURNAL_SUFFIX) + ARTIFACTS_SUFFIX)
    journal = default_journal_path(name, project_dir)
    return journal.with_name(name + ARTIFACTS_SUFFIX)


def is_journal(url: str | None) -> bool:
    """True for a journal file (a path ending in ``.journal`` or a ``journal://`` URL)."""
    return url is None or url.startswith("journal://") or url.endswith(JOURNAL_SUFFIX)


def journal_path(url: str) -> Path:
    """File path of a journal storage URL."""
    if url.startswith("journal://"):
        return Path(url[len("journal://") :])
    return Path(url)


def require_existing_journal(url: str) -> None:
    """Readers (status, dashboard) never create a storage: a journal URL must be a file."""
    if is_journal(url) and not journal_path(url).exists():
        raise InputError(f"no journal file {url}", field="--storage")


def normalise_url(url: str) -> str:
    """Driver defaults: ``postgresql://`` → ``postgresql+psycopg://`` (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_storage(url: str, retry_stale: bool = True) -> BaseStorage:
    """Open (creating if needed) the storage at ``url``; bad URLs raise :class:`InputError`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if is_journal(url):
        path = journal_path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(FastJournalFileBackend(str(path)))
        except OSError as exc:
            raise InputError(
                f"cannot open the journal file ({exc.strerror})",
                source=str(path),
                field="--storage",
            ) from None
    if "://" not in url:
        raise InputError(
            f"not a storage URL or journal file: {url!r}",
            field="--storage",
            allowed="postgresql://user@host/db, sqlite:///file.db, path/to/file.journal",
        )
    url = normalise_url(url)
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        engine_kwargs["connect_args"] = {"connect_timeout": 5}
    last: Exception | None = None
    for attempt in range(4):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                callback = (
                    optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=3)
                    if retry_stale
                    else None
                )
                return RDBStorage(
                    url,
                    engine_kwargs=engine_kwargs,
                    heartbeat_interval=HEARTBEAT_INTERVAL_S,
                    grace_period=GRACE_PERIOD_S,
                    heartbeat_stale_trial_callback=callback,
                )
        except ImportError as exc:
            raise InputError(
                f"the database driver is not installed ({exc}); for PostgreSQL install "
                "carbonspot[postgres]",
                field="--storage",
            ) from None
        except Exception as exc:  # sqlalchemy: bad URL, unreachable server, auth failure …
            last = exc
            text = str(exc)
            # Several workers creating the tables of a fresh database at once collide; retry.
            if "already exists" in text or "duplicate key" in text or "UniqueViolation" in text:
                time.sleep(0.5 * (attempt + 1))
                continue
            break
    text = str(last).strip()
    first = text.splitlines()[0] if text else type(last).__name__
    raise InputError(f"cannot open storage {_redact(url)}: {first}", field="--storage")


def _redact(url: str) -> str:
    """URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


class FastJournalFileBackend(JournalFileBackend):
    """optuna's journal file without an ``fsync`` per record.

    Records are still appended under the journal's file lock and handed to the kernel, so they
    survive killed processes (the resumption guarantee); only a power cut can lose the last
    records. optuna's ``fsync`` costs ~7 ms per record here, i.e. most of a trial's overhead.

    A process killed inside ``write`` can leave a torn last line (no newline). optuna's reader
    skips a torn *last* line but fails on one followed by more records, so the next append cuts
    it off first: it was never a complete record, so no reader has used it.
    """

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = ("\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n").encode()
        with get_lock_file(self._lock):
            fd = os.open(self._file_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _cut_torn_tail(fd)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)


def _cut_torn_tail(fd: int, chunk_bytes: int = 65536) -> None:
    """Truncate a file after its last newline when it does not end with one."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - chunk_bytes)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)


# --- whole-trial writes ---------------------------------------------------------------------


def _journal(storage: BaseStorage) -> JournalStorage | None:
    """``storage`` when it is a journal whose internals the batched writes use, else None."""
    if isinstance(storage, JournalStorage) and all(
        hasattr(storage, a) for a in ("_backend", "_thread_lock", "_replay_result")
    ):
        return storage
    return None


def _append(storage: JournalStorage, records: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Append ``(op_code, fields)`` records in one write, then replay them (caller holds lock).

    A record of ours the replay rejects (its trial was finished meanwhile by another process)
    raises; the remaining records are still replayed, then the first error is raised.
    """
    worker_id = storage._replay_result.worker_id
    storage._backend.append_logs(
        [{"op_code": int(op), "worker_id": worker_id, **fields} for op, fields in records]
    )
    first: Exception | None = None
    for _ in range(len(records) + 1):
        try:
            storage._sync_with_backend()
            break
        except (UpdateFinishedTrialError, KeyError) as exc:
            first = first or exc
    if first is not None:
        raise first


def _utc_now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="microseconds")


def finish_trial(
    storage: BaseStorage,
    trial_id: int,
    state: TrialState,
    values: Sequence[float] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    study_system_attrs: Mapping[str, Any] | None = None,
    study_id: int | None = None,
) -> None:
    """Set a RUNNING trial's attributes, then its final ``state`` and ``values``, in one write.

    ``study_system_attrs`` (of study ``study_id``: the trial's dashboard note) are written with
    them. The state record comes last, so a write cut short leaves the trial RUNNING (failed
    later as stale), never COMPLETE without its attributes. Values are floats; a NaN value fails
    the trial, as ``Study.tell`` does.
    """
    if values is not None:
        values = [float(v) for v in values]
        if state == TrialState.COMPLETE and any(math.isnan(v) for v in values):
            state, values = TrialState.FAIL, None
    user_attrs = dict(user_attrs or {})
    system_attrs = dict(system_attrs or {})
    study_attrs = dict(study_system_attrs or {})
    if study_attrs and study_id is None:
        raise ValueError("study_system_attrs need the study_id")
    sid = -1 if study_id is None else study_id  # used only with study_attrs
    journal = _journal(storage)
    if journal is None:
        for key, value in user_attrs.items():
            storage.set_trial_user_attr(trial_id, key, value)
        for key, value in system_attrs.items():
            storage.set_trial_system_attr(trial_id, key, value)
        for key, value in study_attrs.items():
            storage.set_study_system_attr(sid, key, value)
        storage.set_trial_state_values(trial_id, state, values)
        return
    records: list[tuple[int, dict[str, Any]]] = [
        (JournalOperation.SET_TRIAL_USER_ATTR, {"trial_id": trial_id, "user_attr": {k: v}})
        for k, v in user_attrs.items()
    ]
    records += [
        (JournalOperation.SET_TRIAL_SYSTEM_ATTR, {"trial_id": trial_id, "system_attr": {k: v}})
        for k, v in system_attrs.items()
    ]
    records += [
        (JournalOperation.SET_STUDY_SYSTEM_ATTR, {"study_id": sid, "system_attr": {k: v}})
        for k, v in study_attrs.items()
    ]
    records.append(
        (
            JournalOperation.SET_TRIAL_STATE_VALUES,
            {
                "trial_id": trial_id,
                "state": int(state),
                "values": values,
                "datetime_complete": _utc_now(),
            },
        )
    )
    with journal._thread_lock:
        _append(journal, records)


def set_trial_system_attrs(storage: BaseStorage, trial_id: int, attrs: Mapping[str, Any]) -> None:
    """Set several system attributes of a trial (one write on a journal)."""
    journal = _journal(storage)
    if journal is None:
        for key, value in attrs.items():
            storage.set_trial_system_attr(trial_id, key, value)
        return
    records = [
        (JournalOperation.SET_TRIAL_SYSTEM_ATTR, {"trial_id": trial_id, "system_attr": {k: v}})
        for k, v in attrs.items()
    ]
    with journal._thread_lock:
        _append(journal, records)


def _create_record(study_id: int, template: FrozenTrial) -> dict[str, Any]:
    """The CREATE_TRIAL fields optuna's journal writes for a template trial."""
    start = template.datetime_start or datetime.now()
    return {
        "study_id": study_id,
        "datetime_start": start.astimezone(UTC).isoformat(timespec="microseconds"),
        "state": int(template.state),
        "value": None,
        "values": None,
        "distributions": {k: distribution_to_json(d) for k, d in template.distributions.items()},
        "params": {
            k: template.distributions[k].to_internal_repr(v) for k, v in template.params.items()
        },
        "user_attrs": template.user_attrs,
        "system_attrs": template.system_attrs,
        "intermediate_values": {},
    }


def create_running_trials(
    storage: BaseStorage, study_id: int, templates: Sequence[FrozenTrial]
) -> list[tuple[int, int]]:
    """Create RUNNING trials from templates; ``(trial_id, number)`` of each, in order.

    On a journal all are one append: their records are contiguous in the file, so their ids
    are the last ``len(templates)`` ids this process created (checked against the templates).
    """
    if not templates:
        return []
    journal = _journal(storage)
    if journal is None or any(t.state != TrialState.RUNNING for t in templates):
        out = []
        for t in templates:
            tid = storage.create_new_trial(study_id, template_trial=t)
            out.append((tid, storage.get_trial_number_from_id(tid)))
        return out
    records = [(JournalOperation.CREATE_TRIAL, _create_record(study_id, t)) for t in templates]
    with journal._thread_lock:
        _append(journal, records)
        replay = journal._replay_result
        last = replay._last_created_trial_id_by_this_process
        ids = list(range(last - len(templates) + 1, last + 1))
        trials = [replay._trials.get(tid) for tid in ids]
    for t, template in zip(trials, templates, strict=True):
        if t is None or t.user_attrs != template.user_attrs:
            raise RuntimeError("journal: the trials just created are not where expected")
    return [(tid, t.number) for tid, t in zip(ids, trials, strict=True)]


# --- worker identity and heartbeat ---------------------------------------------------------


def worker_info() -> dict[str, Any]:
    """Identity of this process, stored on each trial it runs."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": time.time()}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Heartbeat:
    """Background thread refreshing the heartbeat of this process's RUNNING trials."""

    def __init__(self, storage: BaseStorage, interval_s: float = HEARTBEAT_INTERVAL_S) -> None:
        self.storage = storage
        self.interval_s = interval_s
        self.trial_ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self, trial_id: int, attrs: Mapping[str, Any] | None = None) -> None:
        """Record one heartbeat now (RDB: optuna's table; journal: a trial system attribute).

        ``attrs`` are further system attributes written with it (one write on a journal).
        """
        if isinstance(self.storage, BaseHeartbeat) and (
            self.storage.get_heartbeat_interval() is not None
        ):
            self.storage.record_heartbeat(trial_id)
        set_trial_system_attrs(
            self.storage, trial_id, {**(attrs or {}), HEARTBEAT_ATTR: time.time()}
        )

    def add(
        self, trial_id: int, beat_now: bool = True, attrs: Mapping[str, Any] | None = None
    ) -> None:
        """Start beating for a trial (with one beat, and ``attrs``, now unless ``beat_now``)."""
        if beat_now:
            self.beat(trial_id, attrs)
        with self._lock:
            self.trial_ids.add(trial_id)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def remove(self, trial_id: int) -> None:
        """Stop beating for a finished trial."""
        with self._lock:
            self.trial_ids.discard(trial_id)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            with self._lock:
                ids = list(self.trial_ids)
            for tid in ids:
                try:
                    self.beat(tid)
                except Exception:  # the trial may have finished meanwhile  # noqa: BLE001
                    self.remove(tid)

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()


def stale_trials(trials: Iterable[FrozenTrial], now: float | None = None) -> list[FrozenTrial]:
    """RUNNING trials whose process is dead (same host) or whose heartbeat is too old."""
    now = time.time() if now is None else now
    host = socket.gethostname()
    out = []
    for t in trials:
        if t.state != TrialState.RUNNING:
            continue
        info = t.system_attrs.get(WORKER_ATTR)
        if not isinstance(info, dict):
            continue  # not started by carbonspot: leave it to its owner
        if info.get("host") == host and not _pid_alive(int(info.get("pid", -1))):
            out.append(t)
            continue
        beat = t.system_attrs.get(HEARTBEAT_ATTR, info.get("start", now))
        if now - float(beat) > GRACE_PERIOD_S:
            out.append(t)
    return out


def fail_stale(study: optuna.Study, retry: bool) -> list[int]:
    """Fail the stale RUNNING trials of a study; with ``retry``, enqueue their parameters again.

    Returns the numbers of the trials failed. RDB storages also run optuna's own heartbeat
    check (and its retry callback, when the storage was opened with ``retry_stale``).
    """
    failed: list[int] = []
    storage = study._storage
    if isinstance(storage, BaseHeartbeat) and (storage.get_heartbeat_interval() is not None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
    running = storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.RUNNING,))
    for t in stale_trials(running):
        try:
            storage.set_trial_user_attr(t._trial_id, FAILED_REASON, "stale: its process died")
            ok = storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        except (RuntimeError, optuna.exceptions.UpdateFinishedTrialError):  # finished meanwhile
            continue
        if not ok:
            continue
        failed.append(t.number)
        if retry:
            frozen = storage.get_trial(t._trial_id)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=3)(study, frozen)
    return failed
