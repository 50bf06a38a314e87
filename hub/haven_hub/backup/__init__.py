"""Backups, restore and the checks between them (docs/backup-and-upgrade.md).

``state`` says what a Haven's state is for given settings (databases, folders, home volumes);
``databases`` copies one database consistently (SQLite's online backup API, or ``pg_dump``);
``trees`` copies folders with their modes and owners; ``manifest`` records and checks the
SHA-256 of every file of a backup; ``make`` writes a backup; ``restore`` puts one back
without ever leaving a mix of the old state and the new.

The words ``haven backup``, ``haven restore`` and ``haven upgrade`` live in ``haven_cli``,
which hands the egress service's part (its audit chain, its migrations) in from above.
"""
