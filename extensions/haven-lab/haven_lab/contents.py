"""The contents API, without the ways to carry data out through it.

JupyterLab reads and writes files through ``/api/contents``; the same API would hand a
dataset copied into the workspace to anyone who asks for it as base64. This manager keeps
everything the editor needs (listings, text files, notebooks, saving) and refuses, with a
message that points to "Request release":

* anything whose real path (symlinks followed) is outside the root directory, or under
  the dataset mounts;
* base64 reads, and binary files (which the stock manager would send as base64);
* text files and notebooks over a size limit.

Notebooks it sends have ``<meta>``/``<link>`` in rich outputs made inert (outputs_filter).
A folder's listing leaves out the entries it refuses (a symlink to the datasets, say) rather
than failing the whole folder, as the stock manager leaves out what it may not read.
"""

from __future__ import annotations

import errno
import os
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

    def _refuse(self, path: str, why: str) -> web.HTTPError:
        return web.HTTPError(403, f"{path}: {why}. {RELEASE_HINT}", reason="Refused by Haven")

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
        if not self.exists(path):
            raise web.HTTPError(404, f"No such file or directory: {path}")
        try:
            os_path = self._checked_os_path(path)
        except web.HTTPError as refusal:
            if _LISTING.get() and not content:
                # The stock listing skips an entry whose read fails with EACCES, silently.
                self.log.info("haven_lab: %s left out of its folder's listing: %s", path, refusal.log_message)
                raise PermissionError(errno.EACCES, "refused by Haven", path) from None
            raise
        if not content or os.path.isdir(os_path):
            return await super().get(path, content=content, type=type, format=format, require_hash=require_hash)
        if format == "base64":
            raise self._refuse(path, "files are not sent to the browser as base64")
        size = os.path.getsize(os_path)
        notebook = type == "notebook" or (type is None and path.endswith(".ipynb"))
        limit = self.max_notebook_read_size if notebook else self.max_text_read_size
        if size > limit:
            raise self._refuse(path, f"{size:,} bytes is over the {limit:,}-byte limit for opening files here")
        if notebook:
            model = await super().get(path, content=True, type=type, format=None, require_hash=require_hash)
            neutralise_notebook(model.get("content"))
            return model
        try:
            # Text only: the stock manager would fall back to base64 for binary files.
            return await super().get(path, content=True, type=type, format="text", require_hash=require_hash)
        except web.HTTPError as error:
            if error.status_code == 400:
                raise self._refuse(path, "binary files cannot be opened here") from None
            raise

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
        if not parent or self.exists(parent):
            self._checked_os_path(parent)
