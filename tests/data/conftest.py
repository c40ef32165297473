"""Fixtures that build the data sets' bad cases on disk: image folders, archives, a local HTTP server."""

from __future__ import annotations

import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def jpeg_bytes(seed: int = 0, size: int = 24) -> bytes:
    """A small random JPEG."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size + 8, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def make_class_tree(split_dir: Path, wnids: list[str], per_class: int = 1) -> None:
    """``split_dir/<wnid>/<i>.JPEG`` for every wnid."""
    data = jpeg_bytes()
    for wnid in wnids:
        (split_dir / wnid).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            (split_dir / wnid / f"{wnid}_{i}.JPEG").write_bytes(data)


def make_tgz(folder_name: str, wnids: list[str], per_class: int = 2) -> bytes:
    """A .tgz holding ``folder_name/{train,val}/<wnid>/*.JPEG``, like fast.ai's archives."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for split in ("train", "val"):
            for c, wnid in enumerate(wnids):
                for i in range(per_class):
                    data = jpeg_bytes(seed=c * 10 + i)
                    info = tarfile.TarInfo(f"{folder_name}/{split}/{wnid}/{wnid}_{i}.JPEG")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class FileServer:
    """Serves ``files[path] = bytes`` on 127.0.0.1; ``truncate`` paths send half the promised bytes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if self.path not in server.files:
                    self.send_error(404)
                    return
                data = server.files[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if self.path in server.truncate else data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def class_tree():
    """The :func:`make_class_tree` helper."""
    return make_class_tree


@pytest.fixture(scope="session")
def tgz():
    """The :func:`make_tgz` helper."""
    return make_tgz
