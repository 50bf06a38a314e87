"""Administrators' commands over the built-in accounts (``haven account``)."""
