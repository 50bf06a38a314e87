"""Builds Haven's images, skipping any whose inputs have not changed.

Each image is tagged with a digest of everything that goes into it (recipe, build
context, base image id), so a second ``up`` finds the tag and builds nothing. The
notebook image is then also tagged with the name the settings give the spawner.

usage: python images/build.py [--settings FILE] [--print-tag]

``--settings`` defaults to the one place every Haven command looks (docs/settings.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
from docker.errors import BuildError, ImageNotFound

from analyst_environment import pins  # beside this script (images/ is a folder of scripts)
from haven_hub import provenance
from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.settings import SettingsError, load_settings

HERE = Path(__file__).resolve().parent
BASE_RECIPE = HERE / "base" / "mkbase.sh"
NOTEBOOK_DIR = HERE / "notebook"
LOCAL_BASE = "haven/base"
NOTEBOOK_REPO = "haven/notebook"


ANALYST_LIBRARY = HERE.parent / "extensions" / "haven-py"
LAB_EXTENSION = HERE.parent / "extensions" / "haven-lab"
# The "Python 3 (ACRO)" kernel installs the egress service's ACRO lock: one ACRO for both.
ACRO_LOCK = HERE.parent / "egress" / "acro" / "requirements.lock"
NOT_CONTEXT = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", "build", "dist")
# The extension's wheel needs its Python package, the prebuilt front end and the metadata;
# not node_modules or the TypeScript build.
NOT_LAB_CONTEXT = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", "build", "dist", "node_modules",
                                         "lib", "tsconfig.tsbuildinfo", "_version.py", ".gitignore")
LAB_FRONTEND_SOURCES = ["package.json", "package-lock.json", "tsconfig.json", "src", "style", "schema"]
FRONTEND_STAMP = HERE.parent / ".state" / "haven-lab-frontend.digest"


def digest_of(paths: list[Path], *extra: str, root: Path | None = None) -> str:
    """Digest of files (and of every file under directories), by relative name and content."""
    sha = hashlib.sha256()
    files: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            files += [(str(f.relative_to(root or path.parent)), f) for f in path.rglob("*") if f.is_file()]
        else:
            files.append((str(path.relative_to(root)) if root else path.name, path))
    for name, path in sorted(files):
        sha.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for value in extra:
        sha.update(value.encode() + b"\0")
    return sha.hexdigest()[:16]


def has_image(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False


def say(message: str) -> None:
    print(f"[images] {message}", flush=True)


def local_base_tag() -> str:
    return f"{LOCAL_BASE}:bookworm-{digest_of([BASE_RECIPE])}"


def ensure_local_base(client: docker.DockerClient) -> str:
    tag = local_base_tag()
    if has_image(client, tag):
        say(f"base image {tag} is current")
    else:
        say(f"making base image {tag} with debootstrap (about a minute)")
        started = time.monotonic()
        subprocess.run(["bash", str(BASE_RECIPE), tag], check=True)
        say(f"base image made in {time.monotonic() - started:.0f}s")
    client.images.get(tag).tag(LOCAL_BASE, "bookworm")
    return tag


def lab_core_package() -> Path:
    """The JupyterLab core the front end is built against: the Python jupyterlab beside us."""
    import jupyterlab

    return Path(jupyterlab.__file__).parent / "staging" / "package.json"


def ensure_lab_frontend() -> None:
    """Builds haven-lab's front end on the host unless its sources are unchanged.

    The notebook image has no Node.js (its base is made by debootstrap), so the wheel is
    built from the prebuilt ``haven_lab/labextension``; npm versions come from the lock file.
    """
    FRONTEND_STAMP.parent.mkdir(parents=True, exist_ok=True)
    # Two builds at once (a test and `up`) would clean each other's output mid-build.
    with open(FRONTEND_STAMP.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build_lab_frontend_if_stale()


def lab_frontend_is_current() -> bool:
    output = LAB_EXTENSION / "haven_lab" / "labextension"
    sources = [LAB_EXTENSION / name for name in LAB_FRONTEND_SOURCES]
    source_digest = digest_of(sources + [lab_core_package()])
    return (output / "static" / "style.js").is_file() and FRONTEND_STAMP.is_file() \
        and FRONTEND_STAMP.read_text() == f"{source_digest}:{digest_of([output])}"


def _build_lab_frontend_if_stale() -> None:
    output = LAB_EXTENSION / "haven_lab" / "labextension"
    sources = [LAB_EXTENSION / name for name in LAB_FRONTEND_SOURCES]
    source_digest = digest_of(sources + [lab_core_package()])
    if lab_frontend_is_current():
        say(f"haven-lab front end {source_digest} is current")
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("[images] haven-lab's front end must be built and npm is not installed (Node.js 20)")
    say(f"compiling haven-lab front end {source_digest} with npm")
    started = time.monotonic()
    # `python` in the npm scripts must be this interpreter, whose jupyterlab is the core.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    stamp = LAB_EXTENSION / "node_modules" / ".haven-lock-digest"
    lock_digest = digest_of([LAB_EXTENSION / "package-lock.json"])
    if not stamp.is_file() or stamp.read_text() != lock_digest:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=LAB_EXTENSION, env=env, check=True)
        stamp.write_text(lock_digest)
    subprocess.run([npm, "run", "build:prod"], cwd=LAB_EXTENSION, env=env, check=True)
    FRONTEND_STAMP.write_text(f"{source_digest}:{digest_of([output])}")
    say(f"haven-lab front end compiled in {time.monotonic() - started:.0f}s")


def fill_context(context: Path, ca_bundle: Path | None) -> None:
    """Copies every input of the notebook image into ``context``: the tag is its digest."""
    for item in NOTEBOOK_DIR.iterdir():
        if item.is_file():
            shutil.copy2(item, context / item.name)
    shutil.copytree(ANALYST_LIBRARY, context / "haven-py", ignore=NOT_CONTEXT)
    shutil.copytree(LAB_EXTENSION, context / "haven-lab", ignore=NOT_LAB_CONTEXT)
    shutil.copyfile(ACRO_LOCK, context / "acro-requirements.lock")
    ca = context / "build-ca.crt"
    if ca_bundle is not None:
        shutil.copyfile(ca_bundle, ca)
    else:
        ca.write_text("")


def kernel_labels(context: Path) -> dict[str, str]:
    """Build arguments the Dockerfile turns into the kernel's labels (haven_hub.provenance): every
    locked package, and the top-level ones with their locked versions. Read from the context,
    so the tag's digest already covers them."""
    locked = pins(context / "requirements.lock")
    top = {name: locked[name] for name in pins(context / "requirements.txt")}
    return {"KERNEL_LOCK": provenance.label_value(locked), "KERNEL_PACKAGES": provenance.label_value(top)}


def context_tag(client: docker.DockerClient, context: Path, base: str, analyst_uid: int) -> str:
    """The notebook image's tag: a digest of its filled build context and its base image."""
    base_id = client.images.get(base).id
    # The uid is a build argument, so part of what the tag names.
    digest = digest_of(list(context.iterdir()), base, base_id, f"ANALYST_UID={analyst_uid}", root=context)
    return f"{NOTEBOOK_REPO}:{digest}"


def notebook_tag(client: docker.DockerClient, base: str, ca_bundle: Path | None, analyst_uid: int) -> str:
    with tempfile.TemporaryDirectory(prefix="haven-notebook-") as tmp:
        fill_context(Path(tmp), ca_bundle)
        return context_tag(client, Path(tmp), base, analyst_uid)


def build_notebook(client: docker.DockerClient, base: str, ca_bundle: Path | None, final_tag: str,
                   analyst_uid: int) -> str:
    with tempfile.TemporaryDirectory(prefix="haven-notebook-") as tmp:
        context = Path(tmp)
        fill_context(context, ca_bundle)
        tag = context_tag(client, context, base, analyst_uid)
        if has_image(client, tag):
            say(f"notebook image {tag} is current")
        else:
            say(f"building notebook image {tag} from {base} (a few minutes)")
            started = time.monotonic()
            try:
                _, logs = client.images.build(
                    path=str(context), tag=tag, buildargs={"BASE_IMAGE": base, "ANALYST_UID": str(analyst_uid),
                                                    **kernel_labels(context)}, rm=True, forcerm=True
                )
            except BuildError as exc:
                for chunk in exc.build_log:
                    sys.stderr.write(chunk.get("stream", "") or chunk.get("error", ""))
                raise SystemExit(f"[images] notebook image build failed: {exc.msg}") from None
            say(f"notebook image built in {time.monotonic() - started:.0f}s")
    repo, _, version = final_tag.rpartition(":")
    client.images.get(tag).tag(repo or final_tag, version if repo else "latest")
    return tag


def print_tag(client: docker.DockerClient, base: str, ca_bundle: Path | None, analyst_uid: int) -> int:
    if not has_image(client, base):
        print(f"base image {base} is not made yet: build once without --print-tag", file=sys.stderr)
        return 1
    if not lab_frontend_is_current():
        print("haven-lab's front end changed since it was compiled: build once without --print-tag",
              file=sys.stderr)
        return 1
    print(notebook_tag(client, base, ca_bundle, analyst_uid))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = UsageParser(description=__doc__.splitlines()[0])
    add_settings_option(parser)
    parser.add_argument("--print-tag", action="store_true",
                        help="print the notebook image's content tag and build nothing (exit 1 if an input "
                             "it depends on, the base image or haven-lab's compiled front end, is not made yet)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(settings_path(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    client = docker.from_env()
    ca_bundle = settings.images.build_ca_bundle
    if ca_bundle is not None and not ca_bundle.is_file():
        print(f"images.build_ca_bundle: {ca_bundle} does not exist", file=sys.stderr)
        return 2
    if args.print_tag:
        return print_tag(client, settings.images.base_image or local_base_tag(), ca_bundle,
                         settings.spawner.container_uid)
    base = settings.images.base_image or ensure_local_base(client)
    ensure_lab_frontend()
    tag = build_notebook(client, base, ca_bundle, settings.spawner.image, settings.spawner.container_uid)
    say(f"{settings.spawner.image} -> {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
