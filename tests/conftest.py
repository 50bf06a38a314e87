"""Fixtures shared by the test tiers; the heavy ones live in tests/fixtures/."""

import pytest

pytest_plugins = [
    "tests.fixtures.docker_engine",
    "tests.fixtures.hub",
    "tests.fixtures.outside_world",
]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see whether the test failed, to dump logs only then.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
