"""The project lifecycle: create, change, suspend, resume, archive and expire projects.

Business logic (``rules``, ``lifecycle``) over the hub's REST API (``hub_api``); the
``haven project`` command (``cli``) only parses and prints. The hub's groups and group
properties stay the one source of truth: nothing here keeps state of its own.
"""
