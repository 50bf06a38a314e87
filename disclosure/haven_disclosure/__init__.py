"""Statistical disclosure control checks for Haven's egress: a pure library (no I/O beyond
reading the file it is given) used alike by the review service and ``haven check``.

    from haven_disclosure import check_file
    result = check_file("admissions.csv", kind="frequency", preset="acro")
    result.verdict, result.to_dict()
"""

from .check import KINDS, check_file
from .errors import DisclosureCheckError, InvalidSetting, UnreadableTable
from .results import SCHEMA_VERSION, CellRef, FileResult, Finding, TableInfo, Verdict, combine
from .settings import PRESETS, Settings, resolve_settings

__all__ = [
    "KINDS", "PRESETS", "SCHEMA_VERSION", "CellRef", "DisclosureCheckError", "FileResult",
    "Finding", "InvalidSetting", "Settings", "TableInfo", "UnreadableTable", "Verdict",
    "check_file", "combine", "resolve_settings",
]
