"""The generated warehouse every round and case starts from, the oracle they are compared
with, and what a command leaves on disk.

Seeded once; a clean sequential run over the range gives the reference table (its content
hash and its keys) and the "written" starting point: the whole table plus that run's
checkpoint with its last days dropped, so a command that should be refused would visibly
rewrite rows (``processed_at`` moves) or the checkpoint if it ran.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench.chaos.process import run_cli
from bench.runs import fresh_copy, table_fingerprint
from shared.backfill.checkpoint import checkpoint_path
from shared.nba.sample_data import seed_warehouse
from shared.warehouse.factory import WarehouseConfig

TABLE = "nba_analytics.player_game_summary"
# Days left pending in the written starting point's checkpoint.
PENDING_DAYS = 5


class SetupError(Exception):
    """The campaign could not build its starting point (not a finding about the product)."""


@dataclass(frozen=True)
class Span:
    start: date
    end: date

    @property
    def flags(self) -> list[str]:
        return ["--start-date", self.start.isoformat(), "--end-date", self.end.isoformat()]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


Key = tuple[str, str]


@dataclass(frozen=True)
class Comparison:
    """A table against the reference: keys missing, extra copies of a key, keys not in it."""

    rows_lost: int
    duplicates: int
    extra: int
    equal: bool

    def describe(self) -> str:
        return (
            f"{self.rows_lost} lost, {self.duplicates} duplicate, {self.extra} extra rows, "
            f"content {'equal' if self.equal else 'DIFFERENT'}"
        )


@dataclass(frozen=True)
class Reference:
    """What a clean sequential run leaves: row count and content hash, and its keys."""

    fingerprint: tuple[int, str]
    keys: frozenset[Key]

    @classmethod
    def of(cls, warehouse: Path) -> Reference:
        return cls(table_fingerprint(warehouse), frozenset(key_counts(warehouse)))

    def compare(self, warehouse: Path) -> Comparison:
        counts = key_counts(warehouse)
        return Comparison(
            rows_lost=len(self.keys - counts.keys()),
            duplicates=sum(count - 1 for count in counts.values()),
            extra=len(counts.keys() - self.keys),
            equal=table_fingerprint(warehouse) == self.fingerprint,
        )


def key_counts(warehouse: Path) -> dict[Key, int]:
    """How many rows each (game_id, player_lookup) has; empty if the table is missing."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema = 'nba_analytics' AND table_name = 'player_game_summary'"
        ).fetchall()
        if tables != [(1,)]:
            return {}
        rows = connection.execute(
            f"SELECT game_id, player_lookup, COUNT(*) FROM {TABLE} GROUP BY ALL"
        ).fetchall()
    return {(game, player): count for game, player, count in rows}


@dataclass(frozen=True)
class DiskState:
    """What a refused command must not change: the checkpoint directory's files (lock files
    aside: holding a lock is not progress) and the table, hashed with ``processed_at`` so
    that rewriting a day with the same content shows too."""

    files: dict[str, str]
    table: tuple[int, str] | None

    @classmethod
    def of(cls, checkpoints: Path, warehouse: Path) -> DiskState:
        files = {}
        if checkpoints.is_dir():
            for path in sorted(checkpoints.iterdir()):
                if path.is_file() and path.suffix != ".lock":
                    files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            try:
                [(rows, digest)] = connection.execute(
                    f"SELECT COUNT(*), SUM(HASH(t)::HUGEINT) FROM {TABLE} AS t"
                ).fetchall()
            except duckdb.CatalogException:
                return cls(files, None)
        return cls(files, (int(rows), str(digest)))

    def changes(self, after: DiskState) -> list[str]:
        """What differs in ``after``, in words; empty when nothing was written."""
        found = [f"{name} added" for name in after.files.keys() - self.files.keys()]
        found += [f"{name} removed" for name in self.files.keys() - after.files.keys()]
        found += [
            f"{name} rewritten"
            for name in self.files.keys() & after.files.keys()
            if self.files[name] != after.files[name]
        ]
        if self.table != after.table:
            found.append("table written")
        return sorted(found)


@dataclass(frozen=True)
class Sandbox:
    """A private warehouse, checkpoint directory and log directory for one round or case."""

    root: Path
    warehouse: Path
    checkpoints: Path
    logs: Path
    span: Span

    @property
    def checkpoint(self) -> Path:
        identity = WarehouseConfig(str(self.warehouse), "player_game_summary").identity
        return checkpoint_path(
            self.checkpoints, "player_game_summary", self.span.start, self.span.end, identity
        )

    def flags(self, *, checkpoints: Path | None = None, logs: Path | None = None) -> list[str]:
        """The range and this sandbox's paths (or the given directories instead)."""
        return [*self.span.flags, *self.paths(checkpoints=checkpoints, logs=logs)]

    def paths(self, *, checkpoints: Path | None = None, logs: Path | None = None) -> list[str]:
        return [
            "--warehouse",
            str(self.warehouse),
            "--checkpoint-dir",
            str(checkpoints or self.checkpoints),
            "--log-dir",
            str(logs or self.logs),
        ]

    def state(self, checkpoints: Path | None = None) -> DiskState:
        return DiskState.of(checkpoints or self.checkpoints, self.warehouse)

    def checkpoint_days(self) -> dict[str, object]:
        """The day records the checkpoint holds now ({} if absent or unreadable)."""
        try:
            days = json.loads(self.checkpoint.read_text())["days"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return days if isinstance(days, dict) else {}


@dataclass(frozen=True)
class Workspace:
    """The seeded warehouse, the written starting point and the reference, built once."""

    root: Path
    span: Span
    seeded: Path
    # The reference run's warehouse, whole; ``written`` lacks the pending days' rows.
    complete: Path
    written: Path
    written_checkpoint: bytes
    reference: Reference

    @classmethod
    def prepare(cls, root: Path, span: Span, seeded: Path | None = None) -> Workspace:
        """Seed ``span`` (unless a seeded warehouse is given), then run it once sequentially,
        one day per statement: the oracle every other run must equal."""
        root.mkdir(parents=True, exist_ok=True)
        if seeded is None:
            seeded = root / "seeded.duckdb"
            seed_warehouse(seeded, span.start, span.end, seed=7)
        box = _sandbox(seeded, root, "reference", span)
        observed = run_cli([*box.flags(), "--batch-days", "1"], box.root)
        if observed.code != 0:
            raise SetupError(f"the clean sequential run failed: {observed.describe()}")
        checkpoint = json.loads(box.checkpoint.read_text())
        last = {(span.end - timedelta(days=n)).isoformat() for n in range(PENDING_DAYS)}
        checkpoint["days"] = {d: r for d, r in checkpoint["days"].items() if d not in last}
        reference = Reference.of(box.warehouse)
        # The rows say which days are done: the pending days hold none, as if never run.
        written = fresh_copy(box.warehouse, root, "written")
        with duckdb.connect(str(written)) as connection:
            connection.execute(
                "DELETE FROM nba_analytics.player_game_summary WHERE game_date > $after",
                {"after": span.end - timedelta(days=PENDING_DAYS)},
            )
        return cls(
            root=root,
            span=span,
            seeded=seeded,
            complete=box.warehouse,
            written=written,
            written_checkpoint=json.dumps(checkpoint, indent=1).encode(),
            reference=reference,
        )

    def sandbox(self, name: str, *, written: bool) -> Sandbox:
        """A fresh copy: raw tables only, or (``written``) the whole table and a checkpoint
        with the last ``PENDING_DAYS`` days still to do, naming this copy as its warehouse."""
        box = _sandbox(self.written if written else self.seeded, self.root, name, self.span)
        if written:
            checkpoint = json.loads(self.written_checkpoint)
            identity = f"duckdb:{box.warehouse.resolve()}"
            checkpoint["warehouse"] = identity
            for run in checkpoint["runs"]:
                run.update(warehouse=identity, warehouse_flags=["--warehouse", str(box.warehouse)])
            box.checkpoints.mkdir()
            box.checkpoint.write_text(json.dumps(checkpoint, indent=1))
        return box

    def complete_sandbox(self, name: str) -> Sandbox:
        """A fresh copy of the reference run's whole warehouse (no checkpoint)."""
        return _sandbox(self.complete, self.root, name, self.span)


def _sandbox(source: Path, root: Path, name: str, span: Span) -> Sandbox:
    warehouse = fresh_copy(source, root, name)
    directory = warehouse.parent
    return Sandbox(directory, warehouse, directory / "checkpoints", directory / "logs", span)
