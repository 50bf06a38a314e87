"""``POST api/preflight``: the checks a submission would get, before it is made.

The JupyterLab extension sends the same multipart body as a submission (``metadata`` with
``files``, one part per file) and shows the author what the checkers will see, with the
preset of the project of the server whose token calls. Nothing is stored: no blob, no row,
no audit event (but for the refusal of a body naming another project).
"""

from __future__ import annotations

from .handlers import UploadHandler


class PreflightHandler(UploadHandler):
    async def post(self) -> None:
        submission = self.submission()
        files = await self.call(self.service.preflight, submission.project, submission.files)
        self.send({"files": files})
