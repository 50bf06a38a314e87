"""The PostgreSQL fixture is real, and fails (never skips) when the server is missing."""

import pytest
from sqlalchemy import create_engine, text

from tests.postgres import find_bin_dir


def test_missing_binaries_fail_the_run_with_a_clear_message(tmp_path):
    with pytest.raises(pytest.fail.Exception) as failure:
        find_bin_dir(str(tmp_path / "no-such-postgresql" / "*" / "bin"))
    assert "apt-get install -y postgresql" in str(failure.value)


def test_the_server_is_a_real_postgresql(postgresql_url):
    engine = create_engine(postgresql_url)
    with engine.connect() as connection:
        assert connection.scalar(text("select version()")).startswith("PostgreSQL")
    engine.dispose()
