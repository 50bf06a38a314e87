"""The admin pages (``/services/admin/``): projects, their disk usage, and the audit log.

A hub-managed service (``config.admin_service``) behind the hub's OAuth; only the
``custom:haven:admin`` scope (the haven-admin role) gets in. It changes projects with
the same lifecycle as ``haven project`` (the hub's REST API, operator token) and names
the acting administrator in every audit event. It also runs the end-date sweep.
"""
