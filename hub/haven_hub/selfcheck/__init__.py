"""``haven selfcheck``: Haven's boundaries proven from inside a server on the deployment itself.

``probe.py`` runs inside a container and reports; ``checks`` judges; ``container`` runs the
probe and reads what the host knows; ``live`` spawns the throwaway server on a running Haven;
``cli`` prints the table. The security tests use the same probe and checks.
"""
