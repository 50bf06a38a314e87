"""Running the automated disclosure checks in the background, on a bounded pool of workers.

A submission only stores files; their checks run here, so a large table never slows the
author's request. Work is queued per request (one ``enqueue`` call, one request's waiting
files on ``resume``, one ``rerun``) and a pool of ``workers`` threads takes one request at a
time: a request whose checks are slow holds one worker, and a small request queued behind it
is checked by another. The queue itself is the database: a file with no ``CheckResult`` row is
waiting. ``resume`` (called at every start) queues every such file, so checks interrupted by
a crash or a restart run again; ``enqueue`` is the fast path right after a submission commits.
Each run appends one row and never changes another.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from . import acro_results
from .blobs import BlobStore, CorruptBlob
from haven_disclosure import DisclosureCheckError
from .file_checks import EVIDENCE_SUFFIXES, CheckInput, CheckPolicy, Outcome, check_one
from .models import CheckResult, File, RequestVersion
from .storage import writing

log = logging.getLogger("haven.egress.checks")
BATCH = 32  # files checked, then stored in one transaction
# Requests checked at once. The checks are mostly Python (the GIL shares one core between the
# workers) with DuckDB's evidence join outside it: more workers than this mostly add waiting.
DEFAULT_WORKERS = 3
UNEXPECTED = ("the checks failed unexpectedly on this file; the egress service's log has the details "
              "for an administrator")

# project id -> the project's disclosure_preset ('' or None: the service default).
PresetLookup = Callable[[str], "str | None"]


def no_project_presets(_project: str) -> None:
    return None


class BackgroundChecks:
    def __init__(self, sessions: sessionmaker[Session], blobs: BlobStore,
                 policy: CheckPolicy = CheckPolicy(),
                 project_preset: PresetLookup = no_project_presets,
                 workers: int = DEFAULT_WORKERS) -> None:
        if workers < 1:
            raise ValueError("the checks need at least one worker")
        self.sessions = sessions
        self.blobs = blobs
        self.policy = policy
        self.project_preset = project_preset
        self.workers = workers
        # One item per request: its (file id, again) pairs; None stops one worker.
        self._queue: queue.Queue[list[tuple[int, bool]] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    # ---- queueing ---------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and queue every file still waiting (safe to call once per start)."""
        with self._lock:
            if not self._threads:
                self._threads = [threading.Thread(target=self._work, name=f"haven-checks-{n}",
                                                  daemon=True) for n in range(self.workers)]
                for thread in self._threads:
                    thread.start()
        self.resume()

    def resume(self) -> int:
        with self.sessions() as session:
            waiting = session.execute(
                select(File.id, RequestVersion.request_id).join(File.version)
                .where(~File.check_results.any()).order_by(File.id)).all()
        by_request: dict[str, list[int]] = {}
        for file_id, request_id in waiting:
            by_request.setdefault(request_id, []).append(file_id)
        for file_ids in by_request.values():
            self.enqueue(file_ids)
        if waiting:
            log.info("queued %d file(s) whose checks had not run", len(waiting))
        return len(waiting)

    def enqueue(self, file_ids: Iterable[int]) -> None:
        """Queue one request's files (the files of one submission), checked by one worker."""
        work = [(file_id, False) for file_id in file_ids]
        if work:
            self._queue.put(work)

    def rerun(self, file_id: int) -> None:
        """Check a file again (e.g. after the preset changed): a new row, the old one kept."""
        self._queue.put([(file_id, True)])

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Whether every queued check finished within ``timeout`` (for tests and shutdown)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout=10)

    # ---- the work ---------------------------------------------------------------

    def _work(self) -> None:
        while True:
            work = self._queue.get()
            try:
                if work is None:
                    return
                # A request's files in batches, each stored in one transaction: on SQLite every
                # commit waits for the disk (synchronous=FULL), and a 20-file request would
                # wait 20 times.
                for start in range(0, len(work), BATCH):
                    batch = work[start:start + BATCH]
                    try:
                        self.run_many(batch)
                    except Exception:  # noqa: BLE001 - the worker must outlive any one failure
                        log.exception("checks of files %s failed", [item[0] for item in batch])
            finally:
                self._queue.task_done()

    def run(self, file_id: int, again: bool = False) -> CheckResult | None:
        """Check one file now and store the result; None when it already had one."""
        return self.run_many([(file_id, again)]).get(file_id)

    def run_many(self, items: list[tuple[int, bool]]) -> dict[int, CheckResult]:
        """Check files now and store their results in one transaction (file id -> new row)."""
        work = []
        with self.sessions() as session:
            for file_id, again in items:
                file = session.get(File, file_id)
                if file is None or (file.check_results and not again):
                    continue
                work.append((file_id, again, file.version.request.project, file.path,
                             [(f.path, f.sha256, f.kind, f.supporting, tuple(f.controls))
                              for f in file.version.files]))
        presets: dict[str, Any] = {}  # one hub lookup per project per batch
        outcomes = []
        for file_id, again, project, path, rows in work:
            try:
                outcomes.append((file_id, again, *self._check(project, path, rows, presets)))
            except Exception:  # noqa: BLE001 - a bug on one file is shown on that file
                log.exception("checks of %s failed", path)
                # Said on the file without the exception: its text can name the service's own
                # folders; the log has it, with the traceback, for an administrator.
                outcomes.append((file_id, again, "", {}, Outcome("error", error=UNEXPECTED)))
        stored: dict[int, CheckResult] = {}
        with self.sessions() as session, session.begin():
            writing(session)
            done = set(session.scalars(select(CheckResult.file_id).where(
                CheckResult.file_id.in_([outcome[0] for outcome in outcomes]))))
            for file_id, again, preset, parameters, outcome in outcomes:
                if file_id in done and not again:
                    continue  # queued twice (a submit and a resume): the first run stands
                row = CheckResult(file_id=file_id, status=outcome.status, verdict=outcome.verdict,
                                  preset=preset, parameters=parameters, result=outcome.result,
                                  acro=outcome.acro, error=outcome.error)
                session.add(row)
                stored[file_id] = row
        return stored

    def _check(self, project: str, target_path: str,
               rows: list[tuple[str, str, str, bool, tuple[str, ...]]],
               presets: dict[str, Any]) -> tuple[str, dict, Outcome]:
        try:
            if project not in presets:
                presets[project] = self.project_preset(project)
            preset = self.policy.preset_for(presets[project])
        except DisclosureCheckError as error:
            return "", {}, Outcome("error", error=str(error))
        except Exception as error:  # noqa: BLE001 - the hub may be down; say so on the file
            log.warning("could not read project %s's disclosure preset: %s", project, error)
            return "", {}, Outcome("error", error=f"could not read the project's disclosure "
                                                  f"preset from the hub: {error}")
        parameters = self.policy.parameters(preset)
        # Only the files this one's checks read: its evidence, or, for an ACRO results.json,
        # the outputs and checksums it names.
        wanted = {target_path, *(target_path + suffix for suffix in EVIDENCE_SUFFIXES),
                  *(target_path[:-len(suffix)] for suffix in EVIDENCE_SUFFIXES
                    if target_path.lower().endswith(suffix))}
        everything = PurePosixPath(target_path).name == acro_results.RESULTS_NAME
        try:
            siblings = {path: CheckInput(path, self.blobs.read(sha), kind, supporting, controls)
                        for path, sha, kind, supporting, controls in rows
                        if everything or path in wanted}
        except (CorruptBlob, FileNotFoundError) as error:
            log.error("checks of %s: a stored file is damaged or missing: %s", target_path, error)
            return preset, parameters, Outcome("error", error="a stored file of this request is damaged or "
                                                              "missing; an administrator can find which with "
                                                              "'haven egress fsck'")
        return preset, parameters, check_one(siblings[target_path], siblings, preset, self.policy)
