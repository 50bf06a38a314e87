from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)
