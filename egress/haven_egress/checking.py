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
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from . import acro_results
from .blobs import BlobStore, CorruptBlob
from .disclosure import DisclosureCheckError
from .file_checks import EVIDENCE_SUFFIXES, CheckInput, CheckPolicy, Outcome, check_one
from .models import CheckResult, File
from .storage import writing

log = logging.getLogger("haven.egress.checks")

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
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.run(*item)
            except Exception:  # noqa: BLE001 - one bad file must not stop the worker
                log.exception("checks of file %s failed", item[0] if item else None)
            finally:
                self._queue.task_done()

    def run(self, file_id: int, again: bool = False) -> CheckResult | None:
        """Check one file now and store the result; None when it already had one."""
        with self.sessions() as session:
            file = session.get(File, file_id)
            if file is None or (file.check_results and not again):
                return None
            project = file.version.request.project
            target_path = file.path
            rows = [(f.path, f.sha256, f.kind, f.supporting) for f in file.version.files]
        preset, parameters, outcome = self._check(project, target_path, rows)
        with self.sessions() as session, session.begin():
            writing(session)
            if not again and session.scalars(select(CheckResult.id)
                                             .where(CheckResult.file_id == file_id)).first():
                return None  # queued twice (a submit and a resume): the first run stands
            row = CheckResult(file_id=file_id, status=outcome.status, verdict=outcome.verdict,
                              preset=preset, parameters=parameters, result=outcome.result,
                              acro=outcome.acro, error=outcome.error)
            session.add(row)
        return row

    def _check(self, project: str, target_path: str,
               rows: list[tuple[str, str, str, bool]]) -> tuple[str, dict, Outcome]:
        try:
            preset = self.policy.preset_for(self.project_preset(project))
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
