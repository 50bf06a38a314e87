"""The dataset catalogue: curated, versioned, checksummed, read-only copies of data."""

from .catalogue import AddRequest, Catalogue, Grant, GrantLookup
from .errors import DatasetError, SourceChanged

__all__ = ["AddRequest", "Catalogue", "DatasetError", "Grant", "GrantLookup", "SourceChanged"]
