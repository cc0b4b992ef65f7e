"""Study storage: an embedded journal file (no server) or any optuna storage URL.

* No URL: ``JournalStorage(JournalFileBackend(<project>/studies/runs/<study>.journal))`` — an
  append-only log guarded by a file lock, safe for several processes on one machine.
* A path ending in ``.journal`` (or ``journal:///path``): that journal file.
* Any SQLAlchemy URL (``postgresql://…``, ``sqlite:///…``, ``mysql+pymysql://…``): optuna's
  ``RDBStorage`` with a heartbeat, so trials of killed workers are failed (and, for the optuna
  samplers, retried with ``RetryHeartbeatStaleTrialCallback``). ``postgresql://`` uses psycopg 3.

Journal storages have no heartbeat in optuna; this module adds one (a trial system attribute
refreshed by a thread) and also fails at once the RUNNING trials of dead processes on this host.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import get_lock_file
from optuna.trial import FrozenTrial, TrialState

from carbonspot.errors import InputError

HEARTBEAT_INTERVAL_S = 10
GRACE_PERIOD_S = 60
WORKER_ATTR = "carbonspot:worker"
HEARTBEAT_ATTR = "carbonspot:heartbeat"


def is_journal(url: str | None) -> bool:
    """True for a journal file (a path ending in ``.journal`` or a ``journal://`` URL)."""
    return url is None or url.startswith("journal://") or url.endswith(".journal")


def journal_path(url: str) -> Path:
    """File path of a journal storage URL."""
    if url.startswith("journal://"):
        return Path(url[len("journal://") :])
    return Path(url)


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

    Records are still appended under the journal's file lock and flushed to the kernel, so they
    survive killed processes (the resumption guarantee); only a power cut can lose the last
    records. optuna's ``fsync`` costs ~7 ms per record here, i.e. most of a trial's overhead.
    """

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        with get_lock_file(self._lock):
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            with open(self._file_path, "ab") as f:
                f.write(text.encode("utf-8"))
                f.flush()


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

    def beat(self, trial_id: int) -> None:
        """Record one heartbeat now (RDB: optuna's table; journal: a trial system attribute)."""
        if isinstance(self.storage, BaseHeartbeat) and (
            self.storage.get_heartbeat_interval() is not None
        ):
            self.storage.record_heartbeat(trial_id)
        self.storage.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())

    def add(self, trial_id: int, beat_now: bool = True) -> None:
        """Start beating for a trial (with one beat immediately unless ``beat_now`` is False)."""
        if beat_now:
            self.beat(trial_id)
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
            storage.set_trial_user_attr(t._trial_id, "failed_reason", "stale: its process died")
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
