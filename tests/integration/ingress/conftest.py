"""The ingress queue as the hub runs it: the egress service's fixtures, reused."""

from tests.integration.egress.conftest import egress, egress_data_dir  # noqa: F401 (fixtures)
