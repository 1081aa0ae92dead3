"""The run's line logs (logbook.csv, logbook.jsonl, metrics.jsonl), appended one whole record at a time.

A record is one ``os.write`` per file on a file opened for appending; a write that fails part-way (a full disk) is
cut back to the record before it, so a log holds whole records only, and the error names the file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

__all__ = ["AppendLog", "LogWriter"]


class AppendLog:
    """One log file: ``append(text)`` adds ``text`` whole or not at all. ``fresh`` empties the file first."""

    def __init__(self, path: Path, fresh: bool = True):
        self.path = Path(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if fresh else 0)
        try:
            self.fd = os.open(self.path, flags, 0o644)
        except OSError as err:
            raise OSError(err.errno, f"cannot write the log {self.path}: {err.strerror or err}") from None

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def append(self, text: str) -> None:
        data, start = text.encode(), self.size()
        try:
            written = os.write(self.fd, data)
            if written != len(data):  # a short write: the disk filled mid-record
                raise OSError(28, os.strerror(28))
        except OSError as err:
            self.truncate(start)
            raise OSError(err.errno, f"cannot append to the log {self.path}: {err.strerror or err}") from None

    def truncate(self, size: int) -> None:
        try:
            os.ftruncate(self.fd, size)
        except OSError:
            pass  # the record stays torn; readers skip a torn last line with a warning

    def close(self) -> None:
        os.close(self.fd)


class LogWriter:
    """The logbook, as CSV and JSONL, a row per generation, both files holding the same rows even when a write
    fails. ``rows``: rows to write first (a resumed run rewrites the files up to its checkpoint)."""

    def __init__(self, directory: Path, rows: list[dict] = ()):
        self.csv_log, self.jsonl_log = AppendLog(directory / "logbook.csv"), AppendLog(directory / "logbook.jsonl")
        self.fields = None
        for row in rows:
            self.write(row)

    def _csv(self, *rows) -> str:
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        return text.getvalue()

    def write(self, row: dict) -> None:
        head = ""
        if self.fields is None:
            self.fields = list(row)
            head = self._csv(self.fields)
        start = self.jsonl_log.size()
        self.jsonl_log.append(json.dumps(row) + "\n")
        try:
            self.csv_log.append(head + self._csv([row.get(key, "") for key in self.fields]))
        except OSError:
            self.jsonl_log.truncate(start)  # neither file has the row
            raise

    def close(self) -> None:
        self.csv_log.close()
        self.jsonl_log.close()
