"""The egress service reads its section of the one settings schema as it is: an option is
declared once (``haven_hub.settings.egress.Egress``) and reaches the running service's rules
with no second declaration or mapping of names in between."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import yaml

import haven_egress
from haven_egress import filetypes
from haven_egress.web.startup import open_service
from haven_hub.settings import Egress, load_settings

EGRESS = Path(haven_egress.__file__).parent


def test_the_service_holds_the_settings_section_it_was_started_with(tmp_path):
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump({
        "hub": {"data_dir": str(tmp_path / "data")},
        "egress": {"required_approvals": 3, "checkers_may_review_own_projects": True, "members_may_download": True,
                   "max_file_size": "1K", "max_request_size": "3K", "max_files": 4, "max_table_rows": 9,
                   "max_opaque_file_size": "2K", "max_image_pixels": 99, "file_types": ["csv", "other"],
                   "disclosure_preset": "opensafely"},
    }))
    settings = load_settings(path)
    service = open_service(settings)
    try:
        assert service.rules is settings.egress
        assert (service.rules.max_file_size, service.rules.max_request_size, service.rules.max_opaque_file_size) == (
            1024, 3 * 1024, 2 * 1024)
        assert service.checks.policy.limits.max_rows == 9 and service.checks.policy.default_preset == "opensafely"
    finally:
        service.checks.stop()
        service.sessions.kw["bind"].dispose()


def test_every_option_of_the_section_is_read_by_the_service():
    """An option declared but read nowhere would be a setting that silently does nothing."""
    read = {node.attr for path in EGRESS.rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute)}
    # The hub, not the service, reads these: it starts the service on its port.
    read_by_the_hub = {"port"}
    assert set(Egress.model_fields) - read - read_by_the_hub == set()


def test_the_schemas_file_types_are_the_ones_the_service_knows():
    (file_type,) = typing.get_args(Egress.model_fields["file_types"].annotation)
    assert set(typing.get_args(file_type)) == filetypes.ALL_TYPES
    assert set(Egress().file_types) == filetypes.DEFAULT_TYPES
