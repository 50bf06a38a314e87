"""Haven's egress service: the disclosure-control review queue."""
