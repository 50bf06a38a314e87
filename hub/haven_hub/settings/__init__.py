"""Haven's settings file: one schema, validated on every load.

The pydantic models in this package are the only place an option is declared. Each field's
description is its documentation: ``python -m haven_hub.settings --docs`` writes
``docs/settings.md`` from them, and a test keeps that page current.
"""

from .accreditation import Accreditation, AccreditationKind
from .common import BYTE_SIZE, PROJECT_ID, USERNAME, SettingsError, byte_count
from .egress import Egress, EgressNotifySmtp
from .location import locate_settings
from .people import Account, Auth, Oidc
from .platform import Admin, Datasets, Hub, IdleCuller, Images, Network, Spawner
from .projects import DATASET_NAME, DatasetGrant, Limits, Project
from .reference import settings_reference
from .schema import Settings, load_settings, parse_settings

__all__ = [
    "Accreditation", "AccreditationKind",
    "BYTE_SIZE", "DATASET_NAME", "PROJECT_ID", "USERNAME", "Account", "Admin", "Auth", "DatasetGrant", "Datasets",
    "Egress", "EgressNotifySmtp", "Hub", "IdleCuller", "Images", "Limits", "Network", "Oidc", "Project", "Settings",
    "SettingsError", "Spawner", "byte_count", "load_settings", "locate_settings", "parse_settings", "settings_reference",
]
