"""Archive downloads that never leave a half-written file to be mistaken for a complete one.

* A download goes to a temporary ``*.part`` file next to its destination and is renamed only when
  it arrived whole and its MD5 matches the published one.
* An archive is extracted into a temporary folder, moved into place, and only then marked complete
  with a ``.complete`` file: a folder without the marker (an extraction cut off half-way, say) is
  never used. (torchvision's ``Imagenette`` only checks that the folder exists.)
* An existing verified archive or extracted folder is reused. A corrupt one is reported by name
  and, with ``download=True``, fetched again (once).
* Only plain files and folders under relative names are extracted, on every Python: an archive with
  ``../`` or absolute names, links or device files is refused whole as unsafe (and not fetched again).

:data:`ARCHIVES` is the table of published archives; tests point its entries at a local server.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zlib
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

from ..config import writable_folder
from ..progress import progress_bar
from .errors import ChecksumError, CorruptArchiveError, DatasetNotFoundError, DownloadError, UnsafeArchiveError

COMPLETE_MARKER = ".complete"


class Archive(NamedTuple):
    """A published archive: where it is, its MD5, and the folder it unpacks to."""

    url: str
    md5: str | None
    folder: str

    @property
    def filename(self) -> str:
        return Path(urlparse(self.url).path).name


def _fastai(folder: str, md5: str) -> Archive:
    return Archive(f"https://s3.amazonaws.com/fast-ai-imageclas/{folder}.tgz", md5, folder)


# fast.ai's Imagenette and Imagewoof (github.com/fastai/imagenette): the full-size images, or their
# shorter side resized to 320 or 160 px. MD5s: Imagenette from torchvision.datasets.Imagenette;
# Imagewoof from the same archive generation as published in catalyst-team/catalyst
# (catalyst/contrib/datasets/cv/imagewoof.py). fast.ai has re-uploaded these archives before: if a
# fresh download fails its checksum repeatedly, the published file changed; update the MD5 here.
ARCHIVES: dict[str, dict[str, Archive]] = {
    "imagenette": {
        "full": _fastai("imagenette2", "fe2fc210e6bb7c5664d602c3cd71e612"),
        "320": _fastai("imagenette2-320", "3df6f0d01a2c9592104656642f5e78a3"),
        "160": _fastai("imagenette2-160", "e793b78cc4c9e9a4ccc0c1155377a412"),
    },
    "imagewoof": {
        "full": _fastai("imagewoof2", "9aafe18bcdb1632c4249a76c458465ba"),
        "320": _fastai("imagewoof2-320", "0f46d997ec2264e97609196c95897a44"),
        "160": _fastai("imagewoof2-160", "3d200a7be99704a0d7509be2a9fbfe15"),
    },
}


def md5sum(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex MD5 of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_md5(path: Path, md5: str | None, url: str) -> None:
    """Raise :class:`ChecksumError` naming ``path`` unless its MD5 is ``md5`` (``None``: no check)."""
    if md5 is None:
        return
    actual = md5sum(path)
    if actual != md5:
        raise ChecksumError(
            f"{path} has MD5 {actual}, expected {md5}: the file is truncated, corrupt or not the "
            f"published one. Delete it and pass download=True to fetch it again (from {url})."
        )


def download_url(url: str, dest: Path, md5: str | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically: a verified file or nothing at all."""
    writable_folder(dest.parent)
    fd, part_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    part = Path(part_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            expected = int(response.headers.get("Content-Length") or 0) or None
            with progress_bar(total=expected, unit="B", unit_scale=True, desc=dest.name) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
        received = part.stat().st_size
        if expected is not None and received != expected:
            raise http.client.IncompleteRead(b"", expected - received)
        if md5 is not None and (actual := md5sum(part)) != md5:
            raise ChecksumError(
                f"{url} arrived with MD5 {actual}, expected {md5}: the transfer was corrupted or the "
                f"published file changed. Nothing was kept. Try again; if it repeats, download it by "
                f"hand to {dest} and update its MD5 in inception_course/data/downloads.py (ARCHIVES)."
            )
        os.replace(part, dest)
        return dest
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DownloadError(
            f"could not download {url} ({error!r}). Check the network connection, or download the "
            f"file by hand (browser, wget, curl) and save it as {dest}, then run again."
        ) from error
    finally:
        part.unlink(missing_ok=True)


def unsafe_reason(member: tarfile.TarInfo) -> str | None:
    """Why ``member`` must not be extracted, or ``None``. Data archives hold only plain files and
    folders under relative names, so anything else is refused on every Python, including those
    whose ``tarfile`` lacks the ``data`` extraction filter (before 3.10.12 / 3.11.4)."""
    name = member.name.replace("\\", "/")
    if name.startswith("/") or os.path.isabs(member.name) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in name.split("/"):
        return "climbs out of the folder with '..'"
    if not (member.isfile() or member.isdir()):
        return "is a link or a special file"
    return None


def safe_members(tar: tarfile.TarFile, tarball: Path) -> list[tarfile.TarInfo]:
    """Every member of ``tar``, after checking each with :func:`unsafe_reason` (else
    :class:`UnsafeArchiveError`); permissions are reduced to plain read/write/execute bits."""
    members = tar.getmembers()
    for member in members:
        reason = unsafe_reason(member)
        if reason is not None:
            raise UnsafeArchiveError(
                f"refusing to extract {tarball}: its member {member.name!r} {reason}, so the file is not a genuine"
                " data archive (nothing was extracted). Delete it, and download it again from the official URL."
            )
        member.mode &= 0o755
    return members


def extract_archive(tarball: Path, folder: Path) -> None:
    """Unpack ``tarball`` (which must contain ``folder.name/``) to ``folder``, then mark it complete."""
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.extracting-"))
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # a second guard where there is one
    try:
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, members=safe_members(tar, tarball), **safe)
        if not (staging / folder.name).is_dir():
            raise CorruptArchiveError(f"{tarball} does not contain the expected folder {folder.name}/")
        if folder.exists():  # an earlier, unmarked extraction: never trusted
            shutil.rmtree(folder)
        os.replace(staging / folder.name, folder)
        (folder / COMPLETE_MARKER).write_text(f"extracted from {tarball.name}\n")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise CorruptArchiveError(
            f"cannot extract {tarball} ({error}): the archive is truncated or corrupt. Delete it "
            "and pass download=True to fetch it again."
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def prepare_archive(archive: Archive, root: Path, download: bool = False) -> Path:
    """The extracted folder of ``archive`` under ``root``, downloading and extracting as needed.

    Raises :class:`DatasetNotFoundError` (nothing there and ``download=False``),
    :class:`DownloadError`, :class:`ChecksumError` or :class:`CorruptArchiveError`.
    """
    folder = root / archive.folder
    if (folder / COMPLETE_MARKER).is_file():
        return folder
    tarball = root / archive.filename
    for attempt in range(2):
        if not tarball.is_file():
            if not download:
                raise DatasetNotFoundError(_not_found_message(archive, folder, tarball))
            download_url(archive.url, tarball, archive.md5)
        try:
            verify_md5(tarball, archive.md5, archive.url)
            extract_archive(tarball, folder)
            return folder
        except (ChecksumError, CorruptArchiveError) as error:
            if not download or attempt == 1:
                raise
            warnings.warn(f"{error} Fetching it again.", stacklevel=2)
            tarball.unlink()
    raise AssertionError("unreachable")


def _not_found_message(archive: Archive, folder: Path, tarball: Path) -> str:
    message = f"{archive.folder} not found in {folder.parent}. Pass download=True to fetch {archive.url}"
    message += f", or download it by hand and save it as {tarball}."
    if folder.exists():
        message += (
            f" {folder} exists but has no {COMPLETE_MARKER} marker, so it may be an extraction that "
            f"stopped half-way; if you extracted it completely yourself, create {folder / COMPLETE_MARKER}."
        )
    return message
