"""Imagenette-style downloads against a local HTTP server: success, reuse, and every failure mode."""

from __future__ import annotations

import hashlib
import io
import tarfile
import warnings
from pathlib import Path

import pytest

from inception_course.data import build_dataset, downloads
from inception_course.data.errors import (
    ChecksumError,
    CorruptArchiveError,
    DatasetNotFoundError,
    DownloadError,
    UnsafeArchiveError,
)
from inception_course.data.classes import IMAGENETTE_WNIDS
from inception_course.data.downloads import COMPLETE_MARKER, Archive

FOLDER = "imagenette2-160"


@pytest.fixture
def served(file_server, tgz, monkeypatch):
    """A generated Imagenette archive served at /imagenette2-160.tgz and entered in ARCHIVES."""
    data = tgz(FOLDER, IMAGENETTE_WNIDS)
    file_server.files["/imagenette2-160.tgz"] = data

    def use(md5: str | None = hashlib.md5(data).hexdigest(), path: str = "/imagenette2-160.tgz") -> Archive:
        archive = Archive(file_server.url(path), md5, FOLDER)
        monkeypatch.setitem(downloads.ARCHIVES["imagenette"], "160", archive)
        return archive

    use()
    return file_server, data, use


def build(root, download=True, split="train"):
    return build_dataset("imagenette", split, root=root, download=download, size="160", image_size=32)


def leftovers(root):
    """Temporary files or folders that a failed or finished step left behind."""
    return [p.name for p in root.iterdir() if p.name.endswith(".part") or ".extracting-" in p.name]


def test_download_extract_and_reuse(served, tmp_path):
    server, _, _ = served
    train = build(tmp_path)
    image, label = train[0]
    assert image.shape == (3, 32, 32) and -1 <= image.min() <= image.max() <= 1
    assert len(train) == 20 and train.num_classes == 10 and train.classes[0] == "tench"
    assert (tmp_path / FOLDER / COMPLETE_MARKER).is_file() and (tmp_path / "imagenette2-160.tgz").is_file()
    assert not leftovers(tmp_path)
    assert len(build(tmp_path, split="val")) == 20
    assert server.hits["/imagenette2-160.tgz"] == 1  # the extracted folder was reused
    (tmp_path / FOLDER / COMPLETE_MARKER).unlink()  # an unfinished extraction is not trusted...
    assert len(build(tmp_path, download=False)) == 20  # ...but the verified archive is reused
    assert server.hits["/imagenette2-160.tgz"] == 1


def test_missing_data_without_download_says_how_to_get_it(served, tmp_path):
    with pytest.raises(DatasetNotFoundError, match="download=True") as error:
        build(tmp_path, download=False)
    assert "imagenette2-160.tgz" in str(error.value) and "by hand" in str(error.value)


def test_wrong_checksum_of_local_archive_is_reported_and_refetched(served, tmp_path):
    server, _, _ = served
    (tmp_path / "imagenette2-160.tgz").write_bytes(b"not the archive")
    with pytest.raises(ChecksumError, match="imagenette2-160.tgz"):
        build(tmp_path, download=False)
    with pytest.warns(UserWarning, match="Fetching it again"):
        assert len(build(tmp_path)) == 20
    assert server.hits["/imagenette2-160.tgz"] == 1


def test_truncated_download_leaves_nothing(served, tmp_path):
    server, _, _ = served
    server.truncate.add("/imagenette2-160.tgz")
    with pytest.raises(DownloadError, match="127.0.0.1") as error:
        build(tmp_path)
    assert "by hand" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_failed_url_names_it_and_explains_manual_placement(served, tmp_path):
    _, _, use = served
    archive = use(path="/missing.tgz")
    with pytest.raises(DownloadError) as error:
        build(tmp_path)
    assert archive.url in str(error.value) and str(tmp_path / "missing.tgz") in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_published_checksum_mismatch_is_detected(served, tmp_path):
    _, _, use = served
    use(md5="0" * 32)
    with pytest.raises(ChecksumError, match="expected 0000.*Nothing was kept"):
        build(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_archive_without_checksum_is_detected_and_refetched(served, tmp_path):
    server, data, use = served
    use(md5=None)
    (tmp_path / "imagenette2-160.tgz").write_bytes(data[: len(data) // 2])  # a cut-off copy
    with pytest.raises(CorruptArchiveError, match="imagenette2-160.tgz"):
        build(tmp_path, download=False)
    assert not leftovers(tmp_path) and not (tmp_path / FOLDER).exists()
    with pytest.warns(UserWarning, match="Fetching it again"):
        assert len(build(tmp_path)) == 20


def test_unmarked_folder_is_not_taken_for_complete(served, tmp_path, class_tree):
    class_tree(tmp_path / FOLDER / "train", IMAGENETTE_WNIDS[:3])  # looks like a cut-off extraction
    with pytest.raises(DatasetNotFoundError, match=COMPLETE_MARKER):
        build(tmp_path, download=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(build(tmp_path)) == 20  # re-extracted in full, the stale folder replaced


EVIL_MEMBERS = {  # kind: (member name, member type, link target)
    "dotdot": (f"{FOLDER}/../../escaped.txt", tarfile.REGTYPE, ""),
    "absolute": ("/tmp/inception-course-escaped.txt", tarfile.REGTYPE, ""),
    "symlink": (f"{FOLDER}/link", tarfile.SYMTYPE, "../../.."),
    "hardlink": (f"{FOLDER}/hard", tarfile.LNKTYPE, "/etc/passwd"),
    "fifo": (f"{FOLDER}/pipe", tarfile.FIFOTYPE, ""),
}


def evil_tgz(kind: str) -> bytes:
    """A plain file under the expected folder plus one member that escapes it or is special."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        good = tarfile.TarInfo(f"{FOLDER}/train/readme.txt")
        good.size = 2
        tar.addfile(good, io.BytesIO(b"ok"))
        evil = tarfile.TarInfo(EVIL_MEMBERS[kind][0])
        evil.type, evil.linkname = EVIL_MEMBERS[kind][1:]
        evil.size = 4 if evil.isfile() else 0
        tar.addfile(evil, io.BytesIO(b"evil") if evil.isfile() else None)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", list(EVIL_MEMBERS))
@pytest.mark.parametrize("has_data_filter", [True, False])
def test_unsafe_archive_is_refused_on_every_python_and_not_refetched(served, tmp_path, monkeypatch, kind, has_data_filter):
    server, _, use = served
    data = evil_tgz(kind)
    server.files["/imagenette2-160.tgz"] = data
    use(md5=hashlib.md5(data).hexdigest())
    if not has_data_filter:  # Python 3.10.0-3.10.11 and 3.11.0-3.11.3 have no tarfile.data_filter
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    root = tmp_path / "deep" / "er" / "root"
    root.mkdir(parents=True)
    with pytest.raises(UnsafeArchiveError, match="refusing to extract .*imagenette2-160.tgz.*not a genuine") as error:
        build(root)
    assert "truncated" not in str(error.value)
    assert server.hits["/imagenette2-160.tgz"] == 1  # reported, not fetched again
    assert not (root / FOLDER).exists() and not leftovers(root)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["deep", "er", "imagenette2-160.tgz", "root"]
    assert not Path(EVIL_MEMBERS["absolute"][0]).exists()


def test_a_data_root_that_is_a_file_is_explained_before_downloading(served, tmp_path):
    server, _, _ = served
    (tmp_path / "root").write_text("a file where the data root should be")
    with pytest.raises(NotADirectoryError, match=f"{tmp_path / 'root'} is a file, not a folder.*INCEPTION_COURSE_DATA"):
        build(tmp_path / "root")
    assert server.hits.get("/imagenette2-160.tgz", 0) == 0
