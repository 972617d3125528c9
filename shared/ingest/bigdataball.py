"""BigDataBall play-by-play CSV files as rows of ``nba_raw.bigdataball_play_by_play``.

One vendor file is one game, named ``[2025-06-22]-0042400407-IND@OKC.csv`` (date, NBA
game id, AWAY@HOME). Rows are normalised to the production columns so the transform
joins them to the gamebook on (game_date, home, away) and on player lookups.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from shared.ingest.columns import parse_float, parse_int, table_columns
from shared.ingest.files import csv_records
from shared.ingest.loader import Loader, RawWarehouse
from shared.ingest.records import FileRead, GameRows, IngestReport, Row, UnreadableFile
from shared.schemas import PLAY_BY_PLAY

_N = TypeVar("_N", int | None, float | None)

DATA_SOURCE = "bigdataball"
UNIQUE_KEY = ("event_id",)

AWAY_LINEUP = ("a1", "a2", "a3", "a4", "a5")
HOME_LINEUP = ("h1", "h2", "h3", "h4", "h5")
REQUIRED_COLUMNS = (
    "period",
    "remaining_time",
    "play_id",
    "team",
    "event_type",
    "assist",
    "block",
    "num",
    "outof",
    "player",
    "points",
    "result",
    "type",
    "shot_distance",
    "original_x",
    "original_y",
    "description",
)

# Some seasons mark a missed field goal with event_type 'miss', others with 'shot' and
# result 'missed'; both are field-goal attempts, stored as 'shot'.
FIELD_GOAL_EVENTS = frozenset({"shot", "miss"})
FREE_THROW_EVENT = "free throw"
RESULTS = frozenset({"made", "missed"})
# Free throws for a technical, flagrant or clear-path foul keep that kind in the subtype,
# so a technical "1 of 1" is never counted as an and-1 ('free throw 1/1').
FREE_THROW_KINDS = ("technical", "flagrant", "clear path")

_FILE_NAME = re.compile(
    r"^\[(?P<date>\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4})\]-(?P<nba_id>\d+)-"
    r"(?P<away>[A-Za-z]{2,4})@(?P<home>[A-Za-z]{2,4})\.csv(?:\.gz)?$",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^(?:(?P<hours>\d+):)?(?P<minutes>\d{1,2}):(?P<seconds>\d{2}(?:\.\d+)?)$")
_FREE_THROW_OF = re.compile(r"(\d+)\s*(?:of|/)\s*(\d+)")
_VENDOR_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")

_COLUMN_NAMES = tuple(column.name for column in table_columns(PLAY_BY_PLAY))


@dataclass(frozen=True)
class GameIdentity:
    """Which game a file holds: ``game_id`` is "20250622_IND_OKC" (date_AWAY_HOME)."""

    game_date: date
    away: str
    home: str

    @property
    def game_id(self) -> str:
        return f"{self.game_date:%Y%m%d}_{self.away}_{self.home}"

    @property
    def season_year(self) -> int:
        return season_year(self.game_date)


def season_year(day: date) -> int:
    """The year a season starts: 2023-10-24 and 2024-01-15 both belong to 2023 (2023-24).

    By month (October-December start a season); the 2020 bubble's October games are
    the one exception, outside any range this project backfills.
    """
    return day.year if day.month >= 10 else day.year - 1


def identity_from_name(path: Path) -> GameIdentity | None:
    """The game of a vendor-named file, or None when the name is not the vendor's."""
    match = _FILE_NAME.match(path.name)
    if match is None:
        return None
    day = _vendor_date(match["date"])
    if day is None:
        return None
    return GameIdentity(day, match["away"].upper(), match["home"].upper())


def player_lookup(name: str | None) -> str | None:
    """Lowercase ASCII letters and digits of a name, accents folded, as the gamebook keys players.

    "Shai Gilgeous-Alexander" -> "shaigilgeousalexander", "D'Angelo Russell" ->
    "dangelorussell", "Nikola Jokić" -> "nikolajokic".
    """
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    lookup = re.sub(r"[^a-z0-9]", "", folded.lower())
    return lookup or None


def game_clock(text: str) -> str | None:
    """Time left in the period as "MM:SS": "0:11:44" -> "11:44", "0:00:05.3" -> "00:05.3"."""
    value = text.strip()
    if not value:
        return None
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError(f"remaining_time: {value!r} is not H:MM:SS")
    minutes = int(match["hours"] or 0) * 60 + int(match["minutes"])
    return f"{minutes:02d}:{match['seconds']}"


def read_bigdataball(path: Path) -> FileRead:
    """Parse one vendor file; every row must normalise or the game is rejected whole."""
    read = FileRead(path)
    header: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    misshapen: list[tuple[int, str]] = []
    try:
        for line, fields in csv_records(path):
            if header is None:
                header = [name.strip().lower() for name in fields]
                missing = [name for name in REQUIRED_COLUMNS if name not in header]
                if missing:
                    return read.reject_file(
                        f"not a BigDataBall file: no column {', '.join(missing)}"
                    )
            elif len(fields) != len(header):
                misshapen.append((line, f"expected {len(header)} fields, got {len(fields)}"))
            else:
                records.append((line, dict(zip(header, fields, strict=True))))
    except UnreadableFile as exc:
        return read.reject_file(str(exc))
    if not records and not misshapen:
        return read.reject_file("no plays in the file")
    vendor_ids = {record.get("game_id", "").strip() for _, record in records} - {""}
    if len(vendor_ids) > 1:
        listed = ", ".join(sorted(vendor_ids))
        return read.reject_file(f"holds {len(vendor_ids)} games (game_id {listed})")
    identity = identity_from_name(path) or _identity_from_rows(records)
    if identity is None:
        return read.reject_file(
            "cannot tell the game: the name is not like [2025-06-22]-0042400407-IND@OKC.csv "
            "and the rows do not give one date and both teams (team, a1..a5, h1..h5)"
        )
    game = GameRows(identity.game_id, identity.game_date)
    for line, message in misshapen:
        read.reject_row(line, game.game_id, message)
    for line, record in records:
        try:
            row = normalise(record, identity)
        except ValueError as exc:
            read.reject_row(line, game.game_id, str(exc))
            continue
        game.add(row, path, line)
    if game.game_id not in read.bad_games:
        read.games[game.game_id] = game
    return read


def normalise(record: dict[str, str], game: GameIdentity) -> Row:
    """One vendor row as a table row; ValueError says which field is malformed."""
    play_id = _number(record, "play_id", parse_int)
    if play_id is None:
        raise ValueError("play_id is blank")
    event_type = _words(record["event_type"])
    if not event_type:
        raise ValueError("event_type is blank")
    raw_result = record["result"]
    result = _words(raw_result)
    if result and result not in RESULTS:
        raise ValueError(f"result: unknown value {raw_result.strip()!r} (made/missed)")
    team = record["team"].strip().upper() or None
    if team is not None and team not in (game.away, game.home):
        raise ValueError(f"team: {team!r} is neither {game.away} nor {game.home}")
    points = _number(record, "points", parse_int) or 0
    num = _number(record, "num", parse_int)
    outof = _number(record, "outof", parse_int)
    subtype = _words(record["type"]) or None
    shot_made: bool | None = None
    shot_type: str | None = None
    if event_type in FIELD_GOAL_EVENTS:
        if event_type == "miss":
            if result == "made":
                raise ValueError("result: 'made' on a 'miss' event")
            result = "missed"
        if not result:
            raise ValueError("result is blank on a shot")
        event_type = "shot"
        shot_made = result == "made"
        three = _is_three(subtype, record["description"], shot_made, points)
        shot_type = "3PT" if three else "2PT"
        if three and "3pt" not in (subtype or ""):
            subtype = f"3pt {subtype or 'shot'}"
    elif event_type == FREE_THROW_EVENT:
        if not result:
            raise ValueError("result is blank on a free throw")
        shot_made = result == "made"
        shot_type = "FT"
        subtype = _free_throw_subtype(subtype or "", num, outof)
    player = _name(record["player"])
    player_2, role = _second_player(record)
    values: dict[str, Any] = {
        "game_id": game.game_id,
        "game_date": game.game_date,
        "season_year": game.season_year,
        "home_team_abbr": game.home,
        "away_team_abbr": game.away,
        "event_id": f"{game.game_id}_{play_id}",
        "event_sequence": play_id,
        "period": _number(record, "period", parse_int),
        "game_clock": game_clock(record["remaining_time"]),
        "event_type": event_type,
        "event_subtype": subtype,
        "player_1_name": player,
        "player_1_lookup": player_lookup(player),
        "player_1_team_abbr": team,
        "player_2_name": player_2,
        "player_2_lookup": player_lookup(player_2),
        "player_2_role": role,
        "shot_made": shot_made,
        "shot_type": shot_type,
        "shot_distance": _number(record, "shot_distance", parse_float),
        "points_scored": points,
        "original_x": _number(record, "original_x", parse_float),
        "original_y": _number(record, "original_y", parse_float),
        "data_source": DATA_SOURCE,
    }
    return tuple(values[name] for name in _COLUMN_NAMES)


def ingest_bigdataball(warehouse: RawWarehouse, paths: Sequence[Path]) -> IngestReport:
    """Load vendor files, one game per transaction, in game_date order.

    Vendor names give each file's date without reading it, so files are read one at a
    time in date order; only files named otherwise are read up front to learn theirs.
    """
    loader = Loader(warehouse, PLAY_BY_PLAY, UNIQUE_KEY, noun="events")
    planned: list[tuple[tuple[date, str, str], Path, FileRead | None]] = []
    for path in paths:
        identity = identity_from_name(path)
        if identity is not None:
            planned.append(((identity.game_date, identity.game_id, str(path)), path, None))
            continue
        read = read_bigdataball(path)
        first = min(((g.game_date, g.game_id) for g in read.games.values()), default=(date.min, ""))
        planned.append(((*first, str(path)), path, read))
    for _, path, cached in sorted(planned, key=lambda item: item[0]):
        loader.load([cached if cached is not None else read_bigdataball(path)])
    return loader.report


def _is_three(subtype: str | None, description: str, made: bool, points: int) -> bool:
    """A three by its label ('3pt' in type or description) or, when made, by its 3 points."""
    return "3pt" in (subtype or "") or "3pt" in description.lower() or (made and points == 3)


def _free_throw_subtype(type_text: str, num: int | None, outof: int | None) -> str:
    """ "free throw 1/2" from num/outof (or "1 of 2" in the type); kinds kept, e.g.
    "free throw technical 1/1"."""
    kind = next((kind for kind in FREE_THROW_KINDS if kind in type_text), None)
    if num is None or outof is None:
        match = _FREE_THROW_OF.search(type_text)
        if match is not None:
            num, outof = int(match[1]), int(match[2])
    prefix = f"{FREE_THROW_EVENT} {kind}" if kind else FREE_THROW_EVENT
    return f"{prefix} {num}/{outof}" if num is not None and outof is not None else prefix


def _second_player(record: dict[str, str]) -> tuple[str | None, str | None]:
    """The assister, else the blocker: the only second players the shot zones use."""
    assister = _name(record["assist"])
    if assister:
        return assister, "assist"
    blocker = _name(record["block"])
    if blocker:
        return blocker, "block"
    return None, None


def _identity_from_rows(records: list[tuple[int, dict[str, str]]]) -> GameIdentity | None:
    """The game from the rows alone: one ``date``, and each team seen acting from a lineup.

    a1..a5 are the away lineup, h1..h5 the home one; a row's ``team`` is the team of
    its ``player``, so a player found in a lineup tells which side that team is.
    """
    days = {_vendor_date(record.get("date", "")) for _, record in records}
    day = days.pop() if len(days) == 1 else None
    if day is None:
        return None
    away: Counter[str] = Counter()
    home: Counter[str] = Counter()
    for _, record in records:
        team = record["team"].strip().upper()
        player = _name(record["player"])
        if not team or not player:
            continue
        if player in {_name(record.get(column, "")) for column in AWAY_LINEUP}:
            away[team] += 1
        elif player in {_name(record.get(column, "")) for column in HOME_LINEUP}:
            home[team] += 1
    if not away or not home:
        return None
    away_team, home_team = away.most_common(1)[0][0], home.most_common(1)[0][0]
    if away_team == home_team:
        return None
    return GameIdentity(day, away_team, home_team)


def _vendor_date(text: str) -> date | None:
    value = text.strip()
    for fmt in _VENDOR_DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    return None


def _number(record: dict[str, str], column: str, parse: Callable[[str], _N]) -> _N:
    """A numeric field parsed, its column named in the error: "points: 'two' is not an integer"."""
    try:
        return parse(record[column])
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None


def _words(text: str) -> str:
    """Lowercase with single spaces: "Jump  Ball " -> "jump ball"."""
    return " ".join(text.lower().split())


def _name(text: str) -> str | None:
    return " ".join(text.split()) or None
