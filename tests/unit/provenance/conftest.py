from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)
from tests.unit.egress.conftest import *  # noqa: F403  (the egress service on SQLite and PostgreSQL)
