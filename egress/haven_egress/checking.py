"""Running the automated disclosure checks in the background, one file at a time.

A submission only stores files; their checks run here, on one worker thread, so a large
table never slows the author's request. The queue itself is the database: a file with no
``CheckResult`` row is waiting. ``resume`` (called at every start) queues every such file, so
checks interrupted by a crash or a restart run again; ``enqueue`` is the fast path right after
a submission commits. Each run appends one row and never changes another.
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
from .models import CheckResult, File
from .storage import writing

log = logging.getLogger("haven.egress.checks")
BATCH = 32  # files checked, then stored in one transaction

# project id -> the project's disclosure_preset ('' or None: the service default).
PresetLookup = Callable[[str], "str | None"]


def no_project_presets(_project: str) -> None:
    return None


class BackgroundChecks:
    def __init__(self, sessions: sessionmaker[Session], blobs: BlobStore,
                 policy: CheckPolicy = CheckPolicy(),
                 project_preset: PresetLookup = no_project_presets) -> None:
        self.sessions = sessions
        self.blobs = blobs
        self.policy = policy
        self.project_preset = project_preset
        self._queue: queue.Queue[tuple[int, bool] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ---- queueing ---------------------------------------------------------------

    def start(self) -> None:
        """Start the worker and queue every file still waiting (safe to call once per start)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="haven-checks", daemon=True)
                self._thread.start()
        self.resume()

    def resume(self) -> int:
        with self.sessions() as session:
            waiting = session.scalars(
                select(File.id).where(~File.check_results.any()).order_by(File.id)).all()
        self.enqueue(waiting)
        if waiting:
            log.info("queued %d file(s) whose checks had not run", len(waiting))
        return len(waiting)

    def enqueue(self, file_ids: Iterable[int]) -> None:
        for file_id in file_ids:
            self._queue.put((file_id, False))

    def rerun(self, file_id: int) -> None:
        """Check a file again (e.g. after the preset changed): a new row, the old one kept."""
        self._queue.put((file_id, True))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Whether every queued check finished within ``timeout`` (for tests and shutdown)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    # ---- the work ---------------------------------------------------------------

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            # What is already queued goes in one transaction: on SQLite every commit waits
            # for the disk (synchronous=FULL), and a 20-file request would wait 20 times.
            while batch[-1] is not None and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                items = [item for item in batch if item is not None]
                if items:
                    self.run_many(items)
            except Exception:  # noqa: BLE001 - the worker must outlive any one failure
                log.exception("checks of files %s failed", [item[0] for item in batch if item])
            finally:
                for _ in batch:
                    self._queue.task_done()
            if batch[-1] is None:
                return

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
                             [(f.path, f.sha256, f.kind, f.supporting) for f in file.version.files]))
        presets: dict[str, Any] = {}  # one hub lookup per project per batch
        outcomes = []
        for file_id, again, project, path, rows in work:
            try:
                outcomes.append((file_id, again, *self._check(project, path, rows, presets)))
            except Exception as error:  # noqa: BLE001 - a bug on one file is shown on that file
                log.exception("checks of %s failed", path)
                outcomes.append((file_id, again, "", {},
                                 Outcome("error", error=f"the checks failed unexpectedly: {error!r}")))
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

    def _check(self, project: str, target_path: str, rows: list[tuple[str, str, str, bool]],
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
            siblings = {path: CheckInput(path, self.blobs.read(sha), kind, supporting)
                        for path, sha, kind, supporting in rows
                        if everything or path in wanted}
        except (CorruptBlob, FileNotFoundError) as error:
            return preset, parameters, Outcome("error", error=f"a stored file is damaged: {error}")
        return preset, parameters, check_one(siblings[target_path], siblings, preset, self.policy)
