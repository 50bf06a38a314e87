"""The ingress queue: reviewed ways to bring files and packages into a project.

The airlock's other direction. An analyst files a request from their browser (a file with
its description and why, or a package with its version and why); a checker who is not the
author, or an admin, approves or rejects it with a reason; an approved file is written into
the project's workspace (``delivery``) and checked there against its SHA-256, an approved
package goes to the approved package index. Every step is one transaction with its audit
event in the egress chain.
"""
