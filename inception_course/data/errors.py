"""Exceptions raised by the data package, each carrying a message that says what to do next.

They subclass the built-in exception a caller would expect (``RuntimeError`` for transfers,
``FileNotFoundError`` for missing data), so generic ``except`` clauses keep working.
"""

from __future__ import annotations


class DownloadError(RuntimeError):
    """A download failed (network error, HTTP error, or the transfer stopped early)."""


class ChecksumError(DownloadError):
    """A file's MD5 differs from the published one (a truncated, corrupt or replaced archive)."""


class CorruptArchiveError(DownloadError):
    """An archive could not be read or extracted to the end."""


class UnsafeArchiveError(DownloadError):
    """An archive holds members that would land outside the target folder (``../``, absolute paths,
    links) or special files: nothing is extracted, and the archive is not downloaded again."""


class DatasetNotFoundError(FileNotFoundError):
    """A data set's folder is missing or laid out differently from what the loader expects."""


class BadImageError(RuntimeError):
    """An image file inside a data set folder could not be decoded."""
