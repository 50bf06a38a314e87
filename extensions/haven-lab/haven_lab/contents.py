"""The contents API, without the ways to carry data out through it.

JupyterLab reads and writes files through ``/api/contents``; the same API would hand a
dataset copied into the workspace to anyone who asks for it as base64. This manager keeps
everything the editor needs (listings, text files, notebooks, saving) and refuses, with a
message that points to "Request release":

* anything whose real path (symlinks followed) is outside the root directory, or under
  the dataset mounts;
* base64 reads, and binary files (which the stock manager would send as base64);
* text files and notebooks over a size limit;
* links to nothing (or loops of links), with a 422 that says so, and pipes, sockets and
  devices, which are never read (a pipe would hold the reading thread for ever);
* saving through a link at the file itself to outside the root (the stock writer follows it).

Notebooks it sends have ``<meta>``/``<link>`` in rich outputs made inert (outputs_filter).
A folder's listing leaves out the entries it refuses (a symlink to the datasets, say) rather
than failing the whole folder, as the stock manager leaves out what it may not read.
"""

from __future__ import annotations

import errno
import os
import stat
from contextvars import ContextVar
from pathlib import Path

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets import Integer, Unicode, default

from . import uploads
from .outputs_filter import neutralise_notebook
from .policy import RELEASE_HINT
from .workspace import is_within

MB = 1024 * 1024
LISTING_ATTEMPTS = 3
_REFUSED = "Refused by Haven"
# Set while a folder is listed: an entry refused then is left out, not the folder refused.
_LISTING: ContextVar[bool] = ContextVar("haven_lab_listing", default=False)


class HavenContentsManager(AsyncLargeFileManager):
    max_text_read_size = Integer(
        5 * MB,
        help="Largest text file (bytes) the contents API sends to the browser; larger files "
        "stay in the workspace and leave, if at all, through a release request.",
    ).tag(config=True)

    max_notebook_read_size = Integer(
        25 * MB,
        help="Largest notebook (bytes) the contents API sends to the browser (notebooks carry "
        "their outputs, figures included, so they get more room than other text).",
    ).tag(config=True)

    data_dir = Unicode(help="The dataset mounts: never read through the contents API.").tag(config=True)

    max_upload_size = Integer(
        help="Largest text file (bytes) the browser may upload into the project; 0 refuses every "
        "upload (haven_lab.uploads). Default: HAVEN_LAB_UPLOAD_MAX_SIZE, from the hub's "
        "egress.ingress.lab_upload_max_size, else 0.",
    ).tag(config=True)

    @default("max_upload_size")
    def _default_max_upload_size(self) -> int:
        value = os.environ.get("HAVEN_LAB_UPLOAD_MAX_SIZE", "0")
        return int(value) if value.isdecimal() else 0

    ingress_url = Unicode(help="The ingress page, as the browser reaches it (named in every refusal).").tag(config=True)

    egress_url = Unicode(help="The egress service, where allowed uploads are recorded. Default: HAVEN_EGRESS_URL.",
                         ).tag(config=True)

    @default("egress_url")
    def _default_egress_url(self) -> str:
        value = os.environ.get("HAVEN_EGRESS_URL", "")
        return value if not value or value.endswith("/") else value + "/"

    @default("ingress_url")
    def _default_ingress_url(self) -> str:
        return os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/services/egress/ingress"

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return os.environ.get("HAVEN_DATA_DIR", "/data")

    def _refuse(self, path: str, why: str, status: int = 403) -> web.HTTPError:
        # The hint to request release answers a refusal to send a file, not a file that is not there.
        hint = f" {RELEASE_HINT}" if status == 403 else ""
        return web.HTTPError(status, f"{path}: {why}.{hint}", reason=_REFUSED)

    def _checked_os_path(self, path: str) -> str:
        os_path = self._get_os_path(path)
        real = Path(os.path.realpath(os_path))
        if is_within(real, Path(os.path.realpath(self.data_dir))):
            raise self._refuse(path, "the datasets are not served to the browser; query them with haven")
        if not is_within(real, Path(os.path.realpath(self.root_dir))):
            raise self._refuse(path, "it is outside the workspace")
        return os_path

    async def get(self, path, content=True, type=None, format=None, require_hash=False):
        path = path.strip("/")
        try:
            os_path = self._checked_os_path(path)
            if not os.path.exists(os_path):
                if not os.path.lexists(os_path):
                    # Gone (perhaps renamed while its folder was listed: _dir_model lists again).
                    raise web.HTTPError(404, f"No such file or directory: {path}")
                # 422, not 404: the stock handler rewrites a 404's message, and this one says why.
                raise self._refuse(path, "it is a link to a file that does not exist, or a loop of links",
                                   status=422)
        except web.HTTPError as refusal:
            if _LISTING.get() and not content and refusal.reason == _REFUSED:
                # The stock listing skips an entry whose read fails with EACCES, silently. An
                # entry merely gone (not refused) fails the listing, which _dir_model takes again.
                self.log.info("haven_lab: %s left out of its folder's listing: %s", path, refusal.log_message)
                raise PermissionError(errno.EACCES, "refused by Haven", path) from None
            raise
        if not content or os.path.isdir(os_path):
            return await super().get(path, content=content, type=type, format=format, require_hash=require_hash)
        if not stat.S_ISREG(os.stat(os_path).st_mode):
            raise self._refuse(path, "it is not a regular file (a pipe, socket or device), so it cannot be opened",
                               status=422)
        if format == "base64":
            raise self._refuse(path, "files are not sent to the browser as base64")
        size = os.path.getsize(os_path)
        notebook = type == "notebook" or (type is None and path.endswith(".ipynb"))
        limit = self.max_notebook_read_size if notebook else self.max_text_read_size
        if size > limit:
            raise self._refuse(path, f"{size:,} bytes is over the {limit:,}-byte limit for opening files here")
        if notebook:
            try:
                model = await super().get(path, content=True, type=type, format=None, require_hash=require_hash)
            except web.HTTPError as error:
                if error.status_code != 400:
                    raise
                # The stock message names the file by its path on the server's disk.
                raise web.HTTPError(400, f"{path}: not a notebook that can be opened (empty, not JSON, or not "
                                    "a valid notebook); open it with the text editor to see what it holds",
                                    reason=_REFUSED) from None
            neutralise_notebook(model.get("content"))
            return model
        try:
            # Text only: the stock manager would fall back to base64 for binary files.
            return await super().get(path, content=True, type=type, format="text", require_hash=require_hash)
        except web.HTTPError as error:
            if error.status_code == 400:
                raise self._refuse(path, "binary files cannot be opened here") from None
            raise

    async def is_hidden(self, path):
        """Asked before every read; a loop of links made the stock check fail with ELOOP,
        a server error, before get could name the link."""
        try:
            return await super().is_hidden(path)
        except OSError:
            return False

    async def _dir_model(self, path, content=True):
        """A listing, taken again when an entry vanished while it was being listed.

        The stock listing reads the folder, then each entry; a rename or delete between the
        two (a notebook's first save renames it while the file browser refreshes) made the
        whole folder answer 404, and Lab showed "Directory not found" over the workspace.
        """
        listing = _LISTING.set(True)
        try:
            for _ in range(LISTING_ATTEMPTS - 1):
                try:
                    return await super()._dir_model(path, content=content)
                except web.HTTPError as error:
                    if error.status_code != 404 or not content or not os.path.isdir(self._get_os_path(path)):
                        raise
            return await super()._dir_model(path, content=content)
        finally:
            _LISTING.reset(listing)

    async def save(self, model, path=""):
        self._checked_parent(path)
        self._checked_target(path)
        if uploads.is_upload(model):
            upload = uploads.check_upload(model, path.strip("/"), self.max_upload_size, self.ingress_url)
            await uploads.record(upload, self.egress_url, os.environ.get("JUPYTERHUB_API_TOKEN", ""),
                                 self.ingress_url)
            self.log.warning("haven_lab: upload recorded: %s (%d bytes, sha256 %s)",
                             upload.path, upload.size, upload.sha256)
        return await super().save(model, path)

    async def rename_file(self, old_path, new_path):
        self._checked_os_path(old_path.strip("/"))
        self._checked_parent(new_path)
        return await super().rename_file(old_path, new_path)

    def _checked_parent(self, path: str) -> None:
        """Writes go only where reads may: not through a symlink into /data or out of the root."""
        parent = path.strip("/").rpartition("/")[0]
        if parent:
            self._checked_os_path(parent)

    def _checked_target(self, path: str) -> None:
        """Nor through a link at the file itself: the stock writer saves through a link to
        wherever it points, so a link to a file outside the root would be written there."""
        path = path.strip("/")
        if path and os.path.lexists(self._get_os_path(path)):
            self._checked_os_path(path)
