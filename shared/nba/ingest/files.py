"""Finding the input files and reading them as CSV records with their line numbers."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from shared.errors import ConfigError
from shared.nba.ingest.records import UnreadableFile

CSV_SUFFIXES = (".csv", ".csv.gz")


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each named file, and every ``*.csv``/``*.csv.gz`` under a named directory.

    Checked before any work so a typo costs nothing: a missing path, a directory
    without CSV files or no path at all is a ConfigError. A file named twice is read once.
    """
    if not paths:
        raise ConfigError("no files given")
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and _is_csv(p))
            if not inside:
                raise ConfigError(f"no *.csv or *.csv.gz files under {path}")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"{path} does not exist")
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record of a CSV file (plain, or gzip when named ``.gz``), header first.

    Yields ``(line, fields)`` with the line the record starts on, counting quoted
    newlines, so problems point at the line an editor shows. Read errors, wherever
    they happen, surface as ``UnreadableFile`` naming the line too: the record being read
    for a CSV error (a quote never closed runs into the field size limit), the line of
    the first bad byte for an encoding error (the decoder only knows its buffer offset).
    """
    line = 1
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            for fields in reader:
                if any("\0" in field for field in fields):
                    # No text holds one; a copy interrupted mid-write often ends in them.
                    raise UnreadableFile("a NUL byte: the file is damaged", line)
                if any(field.strip() for field in fields):
                    yield line, fields
                line = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_not_utf8(exc), _bad_byte_line(path)) from exc
    except csv.Error as exc:
        # A quote never closed reads on to the end of the file, up to this limit.
        hint = "a quote left open? " if "field limit" in str(exc) else "not CSV "
        raise UnreadableFile(f"{hint}({exc})", line) from exc
    except EOFError as exc:
        raise UnreadableFile(f"the compressed file is cut short ({exc})", line) from exc
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc}") from exc


def ends_with_newline(path: Path) -> bool:
    """Whether the file's last byte is a newline: a file cut short usually is not.

    An empty file counts as ended. Read errors surface as ``UnreadableFile``.
    """
    try:
        if path.name.endswith(".gz"):
            last = b""
            with gzip.open(path, "rb") as handle:
                while chunk := handle.read(1 << 16):
                    last = chunk[-1:]
            return last in (b"", b"\n")
        with path.open("rb") as handle:
            if handle.seek(0, 2) == 0:
                return True
            handle.seek(-1, 2)
            return handle.read(1) == b"\n"
    except (OSError, EOFError) as exc:
        raise UnreadableFile(f"cannot read: {exc}") from exc


def _not_utf8(exc: UnicodeDecodeError) -> str:
    byte = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
    return f"not UTF-8 text (byte 0x{byte}: {exc.reason}); save it as UTF-8"


def _bad_byte_line(path: Path) -> int | None:
    """The line of the first byte that is not UTF-8, read again as bytes; None if unreadable."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return raw.count(b"\n", 0, exc.start) + 1
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    return None


def _open_text(path: Path) -> TextIO:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith(CSV_SUFFIXES)
