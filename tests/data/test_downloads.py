"""Imagenette-style downloads against a local HTTP server: success, reuse, and every failure mode."""

from __future__ import annotations

import hashlib
import warnings

import pytest

from inception_course.data import build_dataset, downloads
from inception_course.data.errors import (
    ChecksumError,
    CorruptArchiveError,
    DatasetNotFoundError,
    DownloadError,
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
