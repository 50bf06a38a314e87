"""A backup taken while a writer appends to an audit chain holds the chain and its head file
as a pair that agrees: restored, ``haven audit verify`` passes with no unanchored event."""

from __future__ import annotations

import shutil
import threading

from haven_cli import audit as audit_cli
from haven_cli import backup as backup_cli
from haven_cli import restore as restore_cli
from haven_hub.audit.log import HubAuditLog
from haven_hub.host_state import make_private_dir

from .haven import settings_file


def test_a_backup_of_a_chain_being_written_restores_to_an_anchored_chain(tmp_path, capsys):
    settings = settings_file(tmp_path, hub={"audit_grace_seconds": 0})
    data = make_private_dir(tmp_path / "data")
    cli = ["--settings", str(settings), "--without-volumes"]
    log = HubAuditLog.for_data_dir(data)
    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        while not stop.is_set():
            log.record("ada", "login", f"user/ada-{len(written)}")
            written.append(1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        assert backup_cli.main([*cli, str(tmp_path / "backup")]) == 0
    finally:
        stop.set()
        writer.join()
        log.close()
    assert "kept moving" not in capsys.readouterr().err
    shutil.rmtree(data)
    assert restore_cli.main([*cli, str(tmp_path / "backup")]) == 0
    capsys.readouterr()
    # With no grace at all, a single event past the anchored head would fail the verify.
    assert audit_cli.main(["verify", "--settings", str(settings)]) == 0, capsys.readouterr().out
