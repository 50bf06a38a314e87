"""Bytes each project server sent to its user's browser, per UTC day: the hub's side.

The server counts (haven_lab.meter) and reports increments to the hub API
(:mod:`.api`); the hub adds them up durably (:mod:`.store`), audits, stops a server past its
project's ``browser_bytes_per_day`` and refuses to start it again that day.
"""

from .store import MAX_INCREMENT, DayTotal, MeterError, MeterStore, meter_store

__all__ = ["MAX_INCREMENT", "DayTotal", "MeterError", "MeterStore", "meter_store"]
