"""BigDataBall play-by-play CSV files as rows of ``nba_raw.bigdataball_play_by_play``.

One vendor file is one game, named ``[2025-06-22]-0042400407-IND@OKC.csv`` (date, NBA
game id, AWAY@HOME). Rows are normalised to the production columns so the transform
joins them to the gamebook on (game_date, home, away) and on player lookups.

A file must hold the whole game, or a copy cut short would replace the complete one: it
is rejected (with file and line) when its last line has no line break, when it does not
reach the end of the 4th period or of the overtime it started, when its last scores are
level, or when they are not the schedule's final score (when the warehouse has it).

Real files are messier than fixtures. A game is rejected (with file and line) only for a
row it cannot place: fields that do not line up with the header, or a game_id, date or
play_id that is missing or unreadable (or a date that is not the game's), or a number too
large to store. Every other oddity is kept, normalised to NULL where a value cannot be
read, and counted by kind (the ``Oddity`` constants below): placeholder rows between
events (blank event_type, type 'unknown'), a team of neither side, an attempt without a
made/missed result, a free throw without "N of M", an unreadable period, clock, points,
distance or coordinates, and implausible periods, points or distances (kept as they are).

A shot keeps counting as a field-goal attempt whatever is odd about it, so the zones still
add up to the box score's FGA. Its zone is then the transform's: a three when labelled
3pt, else by distance, and mid-range when there is no distance; a shot that lands in
mid-range for want of a distance is counted as such ("shot without a distance or 3pt
label"), so no zone is guessed silently.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from shared.nba.ingest.columns import OutOfRange, parse_float, parse_int, table_columns
from shared.nba.ingest.files import csv_records, ends_with_newline
from shared.nba.ingest.loader import Loader, RawWarehouse
from shared.nba.ingest.records import FileRead, GameRows, IngestReport, Oddity, Row, UnreadableFile
from shared.nba.schemas import PLAY_BY_PLAY, SCHEDULE

logger = logging.getLogger(__name__)

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
# nbac_schedule.game_status of a finished game (1 scheduled, 2 live, 3 final).
FINAL = 3
RESULTS = frozenset({"made", "missed"})
# What ends a game: the vendor closes each period with 'end of period', the last one too.
GAME_END_EVENTS = frozenset({"end of period", "end of game"})
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
_PLAY_ID = _COLUMN_NAMES.index("event_sequence")

FinalScore = Callable[["GameIdentity"], tuple[int, int] | None]

# Harmless oddities: rows showing them are kept as said and counted by kind in the summary.
# Plausible ranges: periods 1-4 and up to 6 overtimes (the record), 0-3 points a play, a
# court 94 ft long.
PERIODS, POINTS, FEET = (1, 10), (0, 3), (0.0, 94.0)
PLACEHOLDER = Oddity("placeholder row", "", "event_type NULL")
FOREIGN_TEAM = Oddity("row", "with a team of neither side", "team NULL")
UNKNOWN_RESULT = Oddity("attempt", "without a made/missed result", "shot_made NULL")
UNNUMBERED_FREE_THROW = Oddity("free throw", "without N of M", "never an and-1")
UNREADABLE_PERIOD = Oddity("row", "with an unreadable period", "period NULL")
UNREADABLE_CLOCK = Oddity("row", "with an unreadable remaining_time", "game_clock NULL")
UNREADABLE_POINTS = Oddity("row", "with unreadable points", "points_scored NULL")
UNREADABLE_DISTANCE = Oddity("row", "with an unreadable shot_distance", "shot_distance NULL")
UNREADABLE_COORDINATES = Oddity("row", "with unreadable coordinates", "original_x/y NULL")
IMPLAUSIBLE_PERIOD = Oddity("row", "with a period outside 1-10", "as is")
IMPLAUSIBLE_POINTS = Oddity("row", "with points outside 0-3", "as is")
IMPLAUSIBLE_DISTANCE = Oddity("row", "with a shot_distance outside 0-94 ft", "as is")
MID_RANGE_BY_DEFAULT = Oddity("shot", "without a distance or 3pt label", "zone mid-range")


@dataclass(frozen=True)
class Note:
    """One oddity of one row and what exactly was odd, for the ``-v`` log."""

    oddity: Oddity
    why: str


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


def read_bigdataball(path: Path, final_score: FinalScore = lambda _game: None) -> FileRead:
    """Parse one vendor file; a row the game cannot place rejects the game whole, a file
    that is not the whole game (see ``_not_whole``) is rejected whole.

    ``final_score`` gives the schedule's final score of a game, (away, home), when known.
    """
    read = FileRead(path)
    named = identity_from_name(path)
    read.game_id = named.game_id if named is not None else None
    header: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    misshapen: list[tuple[int, str]] = []
    last_line = 0
    try:
        for line, fields in csv_records(path):
            last_line = line
            names = [name.strip().lower() for name in fields]
            if header is None:
                header = names
                missing = [name for name in REQUIRED_COLUMNS if name not in header]
                if missing:
                    return read.reject_file(
                        f"not a BigDataBall file: no column {', '.join(missing)}"
                    )
            elif names == header:
                return read.reject_file("the header again: two files joined? split them", line)
            elif any("\n" in field or "\r" in field for field in fields):
                return read.reject_file("a field runs over several lines: a quote left open?", line)
            elif len(fields) != len(header):
                misshapen.append((line, f"expected {len(header)} fields, got {len(fields)}"))
            else:
                records.append((line, dict(zip(header, fields, strict=True))))
        if last_line > 1 and not ends_with_newline(path):
            return read.reject_file(
                "the last line has no line break: the file is cut short", last_line
            )
    except UnreadableFile as exc:
        return read.reject_file(str(exc), exc.line)
    if not records and not misshapen:
        return read.reject_file("no plays in the file")
    second = _second_game(records)
    if second is not None:
        line, first_id, other_id = second
        return read.reject_file(f"holds 2 games: game_id {other_id} after {first_id}", line)
    identity = named or _identity_from_rows(records)
    if identity is None:
        return read.reject_file(
            "cannot tell the game: the name is not like [2025-06-22]-0042400407-IND@OKC.csv "
            "and the rows do not give one date and both teams (team, a1..a5, h1..h5)"
        )
    read.game_id = identity.game_id
    game = GameRows(identity.game_id, identity.game_date)
    for line, message in misshapen:
        read.reject_row(line, game.game_id, message)
    events: list[tuple[int, int, dict[str, str]]] = []
    for line, record in records:
        try:
            row, notes = normalise(record, identity)
        except ValueError as exc:
            read.reject_row(line, game.game_id, str(exc))
            continue
        for note in notes:
            logger.info("%s:%d: %s; kept (%s)", path, line, note.why, note.oddity.kept_as)
        game.add(row, path, line, (note.oddity for note in notes))
        play_id = row[_PLAY_ID]
        if _words(record["event_type"]):
            events.append((play_id, line, record))
    if game.game_id in read.bad_games:
        return read
    if not events:
        return read.reject_file("not the whole game: no event but placeholder rows")
    whole = _not_whole(events, identity, final_score(identity))
    if whole is not None:
        return read.reject_file(f"not the whole game: {whole}", max(events, key=_play_id)[1])
    read.games[game.game_id] = game
    return read


def _not_whole(
    events: list[tuple[int, int, dict[str, str]]],
    game: GameIdentity,
    final: tuple[int, int] | None,
) -> str | None:
    """Why the events (play_id, line, record) are not the whole game, or None when they are.

    A game ends with the end of period 4 or of an overtime (the vendor's 'end of period'),
    the scores of the last event apart; when the schedule has the final score, they must
    be it. Events after the end of the last period (a technical after the buzzer) are
    allowed. A file cut at a line boundary passes the field checks: this is what tells it
    from the whole game.
    """
    _, _, last = max(events, key=_play_id)
    periods = [_quiet(parse_int, record["period"]) for _, _, record in events]
    top = max((period for period in periods if period is not None), default=None)
    ends = {
        period
        for period, (_, _, record) in zip(periods, events, strict=True)
        if _words(record["event_type"]) in GAME_END_EVENTS
    }
    event, period = _words(last["event_type"]), last["period"].strip()
    if top is None or top < 4:
        return f"the last event is {event!r} in period {period}, not its end"
    if top not in ends:
        return f"period {top} has no end (the last event is {event!r} in period {period})"
    scores = _scores(last)
    if scores is None:
        return f"the last event (a {event!r}) has no away_score and home_score"
    away, home = scores
    if away == home:
        return f"the last event leaves the scores level at {away}-{home}"
    if final is not None and final != scores:
        return (
            f"it ends {game.away} {away}, {game.home} {home}; the schedule's final score is "
            f"{game.away} {final[0]}, {game.home} {final[1]}"
        )
    return None


def _play_id(event: tuple[int, int, dict[str, str]]) -> int:
    return event[0]


def _scores(record: dict[str, str]) -> tuple[int, int] | None:
    away = _quiet(parse_int, record.get("away_score", ""))
    home = _quiet(parse_int, record.get("home_score", ""))
    return (away, home) if away is not None and home is not None else None


def _quiet(parse: Callable[[str], _N], text: str) -> _N | None:
    """``parse(text)``, or None when it cannot be read."""
    try:
        return parse(text)
    except ValueError:
        return None


def _second_game(records: list[tuple[int, dict[str, str]]]) -> tuple[int, str, str] | None:
    """(line, first game_id, other game_id) of the first row of a second game, if any."""
    first = ""
    for line, record in records:
        game_id = record.get("game_id", "").strip()
        if not game_id:
            continue
        if not first:
            first = game_id
        elif game_id != first:
            return line, first, game_id
    return None


def normalise(record: dict[str, str], game: GameIdentity) -> tuple[Row, list[Note]]:
    """One vendor row as a table row, with the oddities kept in it.

    ValueError (naming the field) only for a row the game cannot place; see the module doc.
    """
    play_id = _placed_play_id(record, game)
    notes: list[Note] = []
    event_type: str | None = _words(record["event_type"]) or None
    if event_type is None:
        notes.append(Note(PLACEHOLDER, "event_type is blank"))
    team = record["team"].strip().upper() or None
    if team is not None and team not in (game.away, game.home):
        notes.append(Note(FOREIGN_TEAM, f"team {team!r} is neither {game.away} nor {game.home}"))
        team = None
    points = (
        _lenient(record, "points", parse_int, UNREADABLE_POINTS, notes)
        if record["points"].strip()
        else 0
    )
    distance = _lenient(record, "shot_distance", parse_float, UNREADABLE_DISTANCE, notes)
    period = _lenient(record, "period", parse_int, UNREADABLE_PERIOD, notes)
    for column, value, (low, high), oddity in (
        ("period", period, PERIODS, IMPLAUSIBLE_PERIOD),
        ("points", points, POINTS, IMPLAUSIBLE_POINTS),
        ("shot_distance", distance, FEET, IMPLAUSIBLE_DISTANCE),
    ):
        if value is not None and not low <= value <= high:
            notes.append(Note(oddity, f"{column} {value} is outside {low}-{high}"))
    subtype = _words(record["type"]) or None
    shot_made: bool | None = None
    shot_type: str | None = None
    if event_type in FIELD_GOAL_EVENTS:
        shot_made = _made(record["result"], event_type, notes)
        event_type = "shot"
        three = _is_three(subtype, record["description"], shot_made, points)
        shot_type = "3PT" if three else "2PT"
        if three and "3pt" not in (subtype or ""):
            subtype = f"3pt {subtype or 'shot'}"
        if not three and distance is None:
            notes.append(Note(MID_RANGE_BY_DEFAULT, "a shot with no distance and no 3pt label"))
    elif event_type == FREE_THROW_EVENT:
        shot_made = _made(record["result"], event_type, notes)
        shot_type = "FT"
        number = _free_throw_number(record, subtype or "")
        if number is None:
            notes.append(
                Note(
                    UNNUMBERED_FREE_THROW,
                    f"num {record['num']!r}, outof {record['outof']!r}, type {record['type']!r}",
                )
            )
        subtype = _free_throw_subtype(subtype or "", number)
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
        "period": period,
        "game_clock": _clock(record["remaining_time"], notes),
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
        "shot_distance": distance,
        "points_scored": points,
        "original_x": _lenient(record, "original_x", parse_float, UNREADABLE_COORDINATES, notes),
        "original_y": _lenient(record, "original_y", parse_float, UNREADABLE_COORDINATES, notes),
        "data_source": DATA_SOURCE,
    }
    return tuple(values[name] for name in _COLUMN_NAMES), notes


def ingest_bigdataball(
    warehouse: RawWarehouse, paths: Sequence[Path], *, replace: bool = False
) -> IngestReport:
    """Load vendor files, one game per transaction, in game_date order.

    Vendor names give each file's game without reading it, so files are read one at a
    time in date order; only files named otherwise are read up front to learn theirs.
    Two different files of one game are both refused (which is whole cannot be told);
    a byte-identical copy is read once. ``replace`` lets a file with fewer events than
    the loaded game replace it.
    """
    loader = Loader(warehouse, PLAY_BY_PLAY, UNIQUE_KEY, noun="events", fewer=replace)

    def final_score(game: GameIdentity) -> tuple[int, int] | None:
        return _final_score(warehouse, game)

    by_game: dict[str, list[tuple[date, Path, FileRead | None]]] = {}
    for path in paths:
        identity = identity_from_name(path)
        if identity is not None:
            by_game.setdefault(identity.game_id, []).append((identity.game_date, path, None))
            continue
        read = read_bigdataball(path, final_score)
        day = min((game.game_date for game in read.games.values()), default=date.min)
        by_game.setdefault(read.game_id or f"unknown {path}", []).append((day, path, read))
    planned: list[tuple[tuple[date, str, str], Path, FileRead | None]] = []
    for game_id, files in by_game.items():
        distinct = _distinct(files)
        if len(distinct) > 1:
            for _, path, _ in distinct:
                others = ", ".join(str(other) for _, other, _ in distinct if other != path)
                loader.refuse(
                    path,
                    game_id,
                    f"game {game_id} is also in {others}: both refused, which is whole cannot "
                    f"be told; ingest the right one alone",
                )
            continue
        day, path, cached = distinct[0]
        planned.append(((day, game_id, str(path)), path, cached))
    for _, path, cached in sorted(planned, key=lambda item: item[0]):
        loader.load([cached if cached is not None else read_bigdataball(path, final_score)])
    return loader.report


def _distinct(
    files: list[tuple[date, Path, FileRead | None]],
) -> list[tuple[date, Path, FileRead | None]]:
    """The files of one game, a byte-identical copy of an earlier one left out."""
    if len(files) == 1:
        return files
    seen: dict[bytes, Path] = {}
    distinct = []
    for entry in files:
        try:
            digest = hashlib.sha256(entry[1].read_bytes()).digest()
        except OSError:
            digest = str(entry[1]).encode()
        if digest in seen:
            logger.info("%s: same bytes as %s, read once", entry[1], seen[digest])
            continue
        seen[digest] = entry[1]
        distinct.append(entry)
    return distinct


def _final_score(warehouse: RawWarehouse, game: GameIdentity) -> tuple[int, int] | None:
    """The schedule's final score (away, home) of the game, when the warehouse has it."""
    rows = warehouse.lookup(
        f"SELECT away_team_score, home_team_score FROM {SCHEDULE.name} "
        "WHERE game_date = $game_date AND away_team_tricode = $away "
        "AND home_team_tricode = $home AND game_status = $final",
        {"game_date": game.game_date, "away": game.away, "home": game.home, "final": FINAL},
    )
    scores = {(away, home) for away, home in rows if away is not None and home is not None}
    if len(scores) != 1:
        return None
    away, home = scores.pop()
    return int(str(away)), int(str(home))


def _is_three(subtype: str | None, description: str, made: bool | None, points: int | None) -> bool:
    """A three by its label ('3pt' in type or description) or, when made, by its 3 points."""
    labelled = "3pt" in (subtype or "") or "3pt" in description.lower()
    return labelled or (made is True and points == 3)


def _placed_play_id(record: dict[str, str], game: GameIdentity) -> int:
    """The row's play_id, once its game_id and date (when the file has them) place it in ``game``.

    The game_id must be there (a file of two games is refused before); the date must read
    as the game's date. ValueError otherwise: the row cannot be placed.
    """
    if "game_id" in record and not record["game_id"].strip():
        raise ValueError("game_id is blank")
    if "date" in record:
        text = record["date"].strip()
        if not text:
            raise ValueError("date is blank")
        day = _vendor_date(text)
        if day is None:
            raise ValueError(f"date: {text!r} is not a date")
        if day != game.game_date:
            raise ValueError(f"date {day} is not the game's date {game.game_date}")
    play_id = _number(record, "play_id", parse_int)
    if play_id is None:
        raise ValueError("play_id is blank")
    return play_id


def _made(raw_result: str, event_type: str, notes: list[Note]) -> bool | None:
    """Whether an attempt scored, from ``result``; a 'miss' event may leave it blank.

    None (noted) when the result is blank, unknown or says 'made' on a 'miss': the
    attempt still counts, the transform counts it as no make.
    """
    result = _words(raw_result)
    if event_type == "miss":
        if result in ("", "missed"):
            return False
        notes.append(Note(UNKNOWN_RESULT, f"result {raw_result.strip()!r} on a 'miss' event"))
        return None
    if result in RESULTS:
        return result == "made"
    why = f"result {raw_result.strip()!r} is not made/missed" if result else "result is blank"
    notes.append(Note(UNKNOWN_RESULT, f"{why} on a {event_type}"))
    return None


def _free_throw_number(record: dict[str, str], type_text: str) -> tuple[int, int] | None:
    """(N, M) of "free throw N of M" from num/outof, else from the type; None if neither reads."""
    try:
        num, outof = parse_int(record["num"]), parse_int(record["outof"])
    except ValueError:
        num = outof = None
    if num is not None and outof is not None:
        return num, outof
    match = _FREE_THROW_OF.search(type_text)
    return (int(match[1]), int(match[2])) if match is not None else None


def _free_throw_subtype(type_text: str, number: tuple[int, int] | None) -> str:
    """ "free throw 1/2"; kinds kept, e.g. "free throw technical 1/1", so a technical is
    never an and-1; just "free throw technical" without a number."""
    kind = next((kind for kind in FREE_THROW_KINDS if kind in type_text), None)
    prefix = f"{FREE_THROW_EVENT} {kind}" if kind else FREE_THROW_EVENT
    return f"{prefix} {number[0]}/{number[1]}" if number is not None else prefix


def _clock(text: str, notes: list[Note]) -> str | None:
    try:
        return game_clock(text)
    except ValueError as exc:
        notes.append(Note(UNREADABLE_CLOCK, str(exc)))
        return None


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
    days = {_vendor_date(record.get("date", "")) for _, record in records} - {None}
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


def _lenient(
    record: dict[str, str],
    column: str,
    parse: Callable[[str], _N],
    oddity: Oddity,
    notes: list[Note],
) -> _N | None:
    """A numeric field parsed, or None (noted as ``oddity``) when it cannot be read.

    A number out of range for its column is no oddity: ValueError, the row cannot be placed.
    """
    try:
        return parse(record[column])
    except OutOfRange as exc:
        raise ValueError(f"{column}: {exc}") from None
    except ValueError as exc:
        notes.append(Note(oddity, f"{column}: {exc}"))
        return None


def _words(text: str) -> str:
    """Lowercase with single spaces: "Jump  Ball " -> "jump ball"."""
    return " ".join(text.lower().split())


def _name(text: str) -> str | None:
    return " ".join(text.split()) or None
