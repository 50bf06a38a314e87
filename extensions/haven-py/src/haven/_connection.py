"""A DuckDB connection that sees the project's datasets and nothing else.

Order matters: the views are created and the limits set first, then the file allow-lists,
then external access is switched off, and last the configuration is locked so none of it
can be undone from SQL. The container (read-only mounts, no network, limits) is the real
boundary, because a kernel runs arbitrary code; this keeps honest code on the rails and
makes a mistaken query fail loudly instead of reading or writing somewhere unexpected.
"""

from __future__ import annotations

import warnings

import duckdb

from ._catalogue import Dataset
from ._environment import Environment

# Applied in this order, after the allow-lists; lock_configuration must be the last.
LOCKDOWN = (
    ("enable_external_access", "false"),
    ("autoload_known_extensions", "false"),
    ("autoinstall_known_extensions", "false"),
    ("allow_community_extensions", "false"),
    ("allow_unsigned_extensions", "false"),
    ("lock_configuration", "true"),
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list(items: list[str]) -> str:
    return "[" + ", ".join(_literal(item) for item in items) + "]"


def create_views(con: duckdb.DuckDBPyConnection, datasets: dict[str, Dataset]) -> dict[str, str]:
    """One view per dataset. DuckDB reads each Parquet footer here, so a corrupt or empty
    file fails now: that dataset is left out and returned with DuckDB's reason, and the
    others are made as usual."""
    unusable = {}
    for dataset in datasets.values():
        files = _list([str(path) for path in dataset.files])
        try:
            con.execute(f"create view {_identifier(dataset.name)} as select * from read_parquet({files})")
        except duckdb.Error as error:
            unusable[dataset.name] = "its data cannot be read: " + str(error).splitlines()[0]
    return unusable


def unreadable_data(datasets: dict[str, Dataset]) -> dict[str, str]:
    """Which datasets DuckDB could not open, with why, checked on a throwaway connection
    (for listings: the panel and ``haven.datasets()`` show what ``haven.sql`` can query)."""
    with duckdb.connect(":memory:") as con:
        return create_views(con, datasets)


def open_locked(
    environment: Environment, datasets: dict[str, Dataset]
) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    """The locked connection, and the datasets left out of it because their data cannot be read."""
    con = duckdb.connect(":memory:")
    try:
        unusable = create_views(con, datasets)
        datasets = {name: d for name, d in datasets.items() if name not in unusable}

        con.execute(f"set memory_limit = {_literal(str(environment.memory_limit_bytes) + 'B')}")
        con.execute(f"set threads = {int(environment.threads)}")
        if environment.scratch_dir is not None:
            con.execute(f"set temp_directory = {_literal(str(environment.scratch_dir))}")
            con.execute(f"set max_temp_directory_size = {_literal(str(environment.max_scratch_bytes) + 'B')}")
        else:
            # Without a disk-backed scratch volume DuckDB would spill to the working
            # directory (or a tmpfs, which counts against the memory limit): better to say so.
            con.execute("set temp_directory = ''")
            warnings.warn(
                "no writable scratch directory (HAVEN_SCRATCH_DIR): queries larger than "
                "memory will fail instead of spilling to disk", stacklevel=3,
            )

        # Exact files for the data (so nothing new can be created beside them even where
        # a mount is writable by mistake); whole directories only for the workspace and
        # scratch, where writing is the point.
        data_files = [str(path) for dataset in datasets.values() for path in dataset.files]
        writable = [str(environment.workspace_dir)]
        if environment.scratch_dir is not None:
            writable.append(str(environment.scratch_dir))
        con.execute(f"set allowed_paths = {_list(data_files)}")
        con.execute(f"set allowed_directories = {_list([d.rstrip('/') + '/' for d in writable])}")
        for setting, value in LOCKDOWN:
            con.execute(f"set {setting} = {value}")
    except BaseException:
        con.close()
        raise
    return con, unusable
