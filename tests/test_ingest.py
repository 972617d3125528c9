"""``python -m shared.nba.ingest``: real files into the embedded warehouse, one transaction per game.

Fixtures (tests/fixtures/bigdataball, hand-made in the vendor's format):
Each game is abridged to a few plays, then periods 2..4 reduced to their start and end (so
each ends as a whole game does); the schedule's final score is the last one.
- games/: 2024-01-15 BOS@MIA (32 plays, plain) and LAL@PHX (25 plays, .csv.gz), and
  2024-01-17 DEN@OKC (17 plays) one directory down.
- malformed/: 2024-01-16 CHI@NYK whose line 4 has the date "#VALUE!".
- nbac_schedule.csv, nbac_gamebook_player_stats.csv: exports consistent with the plays
  (each player's FGA is their shots).
- playoffs/: 2025-06-22 IND@OKC (the 2025 Finals Game 7 abridged to 40 plays: 31 of the
  1st quarter, 3 of the 2nd, the 3rd and 4th reduced to their start and end; IND 11, OKC 8)
  in the vendor's real format: three
  placeholder rows, blank teams on period starts and ends, an instant replay, a shot
  distance "12ft", a technical free throw without num/outof, coordinates "nan"; with its
  schedule and gamebook exports (each player's FGA is their shots).
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from backfill_jobs.analytics.player_game_summary.processor import DATASETS, PlayerGameSummaryJob
from bench.chaos.ingest import run_ingest_campaign
from shared.backfill.results import DayStatus
from shared.nba.ingest.__main__ import main
from shared.nba.ingest.bigdataball import game_clock, identity_from_name, player_lookup, season_year
from shared.warehouse.base import as_named
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.cli_helpers import catches, wait_for
from tests.raw_fixtures import ZONE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "bigdataball"
GAMES = FIXTURES / "games"
BOS_MIA = GAMES / "[2024-01-15]-0022300567-BOS@MIA.csv"
DEN_OKC = GAMES / "2024-01-17" / "[2024-01-17]-0022300580-DEN@OKC.csv"
MALFORMED = FIXTURES / "malformed" / "[2024-01-16]-0022300575-CHI@NYK.csv"
SCHEDULE_CSV = FIXTURES / "nbac_schedule.csv"
GAMEBOOK_CSV = FIXTURES / "nbac_gamebook_player_stats.csv"
PLAYOFFS = FIXTURES / "playoffs"
IND_OKC = PLAYOFFS / "[2025-06-22]-0042400407-IND@OKC.csv"

PBP = "nba_raw.bigdataball_play_by_play"
GAME_EVENTS = {"20240115_BOS_MIA": 32, "20240115_LAL_PHX": 25, "20240117_DEN_OKC": 17}

VENDOR_COLUMNS = (
    "game_id,data_set,date,a1,a2,a3,a4,a5,h1,h2,h3,h4,h5,period,away_score,home_score,"
    "remaining_time,elapsed,play_length,play_id,team,event_type,assist,away,home,block,entered,"
    "left,num,opponent,outof,player,points,possession,reason,result,steal,type,shot_distance,"
    "original_x,original_y,converted_x,converted_y,description"
).split(",")
CHI = ("Coby White", "Zach LaVine", "DeMar DeRozan", "Patrick Williams", "Nikola Vucevic")
NYK = ("Jalen Brunson", "Donte DiVincenzo", "Josh Hart", "OG Anunoby", "Isaiah Hartenstein")
VENDOR_DEFAULTS = {
    "game_id": "22300599",
    "data_set": "NBA 2023-2024 Regular Season",
    "date": "2024-02-01",
    **{f"a{i}": name for i, name in enumerate(CHI, start=1)},
    **{f"h{i}": name for i, name in enumerate(NYK, start=1)},
    "period": "1",
    "remaining_time": "0:11:00",
    "team": "NYK",
    "event_type": "shot",
    "player": "Jalen Brunson",
    "points": "2",
    "result": "made",
    "type": "driving layup",
    "shot_distance": "2",
    "description": "Brunson 2' Driving Layup (2 PTS)",
}
VENDOR_NAME = "[2024-02-01]-0022300599-CHI@NYK.csv"

Capsys = pytest.CaptureFixture[str]


def ingest(capsys: Capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def query(db: Path, sql: str) -> list[dict[str, Any]]:
    connection = duckdb.connect(str(db), read_only=True)
    try:
        relation = connection.execute(sql)
        columns = [column[0] for column in relation.description]
        return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        connection.close()


def events_by_game(db: Path) -> dict[str, int]:
    rows = query(db, f"SELECT game_id, COUNT(*) AS n FROM {PBP} GROUP BY game_id")
    return {row["game_id"]: row["n"] for row in rows}


# The row that ends a game: the end of the 4th period, the scores apart.
GAME_END = {
    "period": "4",
    "away_score": "0",
    "home_score": "2",
    "remaining_time": "0:00:00",
    "team": "",
    "event_type": "end of period",
    "player": "",
    "points": "",
    "result": "",
    "type": "",
    "shot_distance": "",
    "description": "End of 4th Period",
}


def write_vendor(path: Path, *rows: dict[str, str] | str) -> Path:
    """A vendor file: dict rows over VENDOR_DEFAULTS (play_id = position), str rows verbatim,
    then the end of the game (one more event)."""
    lines = [",".join(VENDOR_COLUMNS)]
    last = next((row for row in reversed(rows) if isinstance(row, dict)), {})
    end = {**{key: last[key] for key in ("game_id", "date") if key in last}, **GAME_END}
    for play_id, row in enumerate((*rows, end), start=1):
        if isinstance(row, str):
            lines.append(row)
            continue
        values = {**VENDOR_DEFAULTS, "play_id": str(play_id), **row}
        lines.append(",".join(_quoted(values.get(column, "")) for column in VENDOR_COLUMNS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _quoted(value: str) -> str:
    return f'"{value}"' if "," in value else value


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


# --- naming and normalisation rules -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lookup"),
    [
        ("Shai Gilgeous-Alexander", "shaigilgeousalexander"),
        ("D'Angelo Russell", "dangelorussell"),
        ("Jaime Jaquez Jr.", "jaimejaquezjr"),
        ("Nikola Jokić", "nikolajokic"),
        ("", None),
    ],
)
def test_player_lookup_keeps_letters_and_digits(name: str, lookup: str | None) -> None:
    assert player_lookup(name) == lookup


@pytest.mark.parametrize(
    ("remaining", "clock"),
    [
        ("0:11:44", "11:44"),
        ("0:09:59", "09:59"),
        ("0:00:05.3", "00:05.3"),
        ("11:44", "11:44"),
        ("", None),
    ],
)
def test_game_clock_drops_the_hours(remaining: str, clock: str | None) -> None:
    assert game_clock(remaining) == clock


def test_season_year_starts_in_october() -> None:
    assert season_year(date(2023, 10, 24)) == 2023
    assert season_year(date(2024, 1, 15)) == 2023
    assert season_year(date(2025, 6, 22)) == 2024


def test_identity_from_vendor_file_name() -> None:
    identity = identity_from_name(Path("[2025-06-22]-0042400407-IND@OKC.csv.gz"))
    assert identity is not None
    assert (identity.game_id, identity.game_date, identity.season_year) == (
        "20250622_IND_OKC",
        date(2025, 6, 22),
        2024,
    )
    assert (identity.away, identity.home) == ("IND", "OKC")
    assert identity_from_name(Path("game.csv")) is None


# --- BigDataBall files ----------------------------------------------------------------------


def test_loads_a_directory_recursively_plain_and_gzip(capsys: Capsys, db: Path) -> None:
    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, GAMES)

    assert (code, err) == (0, "")
    assert out == (
        "bigdataball: loaded 3 files, 3 games, 74 events; rejected 0 files, 0 games, 0 rows"
    )
    assert events_by_game(db) == GAME_EVENTS
    games = query(
        db,
        f"SELECT DISTINCT game_id, game_date, season_year, away_team_abbr, "
        f"home_team_abbr, data_source FROM {PBP} ORDER BY game_id",
    )
    assert games == [
        {
            "game_id": "20240115_BOS_MIA",
            "game_date": date(2024, 1, 15),
            "season_year": 2023,
            "away_team_abbr": "BOS",
            "home_team_abbr": "MIA",
            "data_source": "bigdataball",
        },
        {
            "game_id": "20240115_LAL_PHX",
            "game_date": date(2024, 1, 15),
            "season_year": 2023,
            "away_team_abbr": "LAL",
            "home_team_abbr": "PHX",
            "data_source": "bigdataball",
        },
        {
            "game_id": "20240117_DEN_OKC",
            "game_date": date(2024, 1, 17),
            "season_year": 2023,
            "away_team_abbr": "DEN",
            "home_team_abbr": "OKC",
            "data_source": "bigdataball",
        },
    ]


_EVENT_COLUMNS = (
    "game_clock, event_type, event_subtype, player_1_lookup, player_1_team_abbr, "
    "player_2_lookup, player_2_role, shot_made, shot_type, shot_distance, points_scored"
)


@pytest.mark.parametrize(
    ("event_id", "expected"),
    [
        # A made three, assisted.
        (
            "20240115_BOS_MIA_3",
            (
                "11:41",
                "shot",
                "3pt jump shot",
                "jaysontatum",
                "BOS",
                "jrueholiday",
                "assist",
                True,
                "3PT",
                25.0,
                3,
            ),
        ),
        # Event type 'miss' (older seasons) is stored as 'shot'.
        (
            "20240115_BOS_MIA_4",
            ("11:20", "shot", "jump shot", "bamadebayo", "MIA", None, None, False, "2PT", 12.0, 0),
        ),
        # A made two with an assist.
        (
            "20240115_BOS_MIA_6",
            (
                "11:02",
                "shot",
                "driving layup",
                "jaylenbrown",
                "BOS",
                "jaysontatum",
                "assist",
                True,
                "2PT",
                2.0,
                2,
            ),
        ),
        # A blocked miss: the blocker is player 2.
        (
            "20240115_BOS_MIA_7",
            (
                "10:45",
                "shot",
                "driving layup",
                "jimmybutler",
                "MIA",
                "kristapsporzingis",
                "block",
                False,
                "2PT",
                4.0,
                0,
            ),
        ),
        # The and-1 after Adebayo's putback.
        (
            "20240115_BOS_MIA_11",
            (
                "10:42",
                "free throw",
                "free throw 1/1",
                "bamadebayo",
                "MIA",
                None,
                None,
                True,
                "FT",
                None,
                1,
            ),
        ),
        # A three known only by its 3 points: the subtype gains '3pt'.
        (
            "20240115_BOS_MIA_13",
            (
                "10:12",
                "shot",
                "3pt jump shot",
                "tylerherro",
                "MIA",
                None,
                None,
                True,
                "3PT",
                26.0,
                3,
            ),
        ),
        (
            "20240115_BOS_MIA_15",
            (
                "09:58",
                "free throw",
                "free throw 1/2",
                "jaysontatum",
                "BOS",
                None,
                None,
                True,
                "FT",
                None,
                1,
            ),
        ),
        (
            "20240115_BOS_MIA_16",
            (
                "09:58",
                "free throw",
                "free throw 2/2",
                "jaysontatum",
                "BOS",
                None,
                None,
                False,
                "FT",
                None,
                0,
            ),
        ),
        # A missed three known only by its description.
        (
            "20240115_BOS_MIA_20",
            (
                "09:25",
                "shot",
                "3pt pullup jump shot",
                "derrickwhite",
                "BOS",
                None,
                None,
                False,
                "3PT",
                27.0,
                0,
            ),
        ),
        (
            "20240115_BOS_MIA_5",
            (
                "11:18",
                "rebound",
                "rebound defensive",
                "jaylenbrown",
                "BOS",
                None,
                None,
                None,
                None,
                None,
                0,
            ),
        ),
        # A steal is no player 2: only assists and blocks are.
        (
            "20240115_BOS_MIA_12",
            (
                "10:20",
                "turnover",
                "bad pass",
                "jaysontatum",
                "BOS",
                None,
                None,
                None,
                None,
                None,
                0,
            ),
        ),
        (
            "20240115_LAL_PHX_3",
            (
                "11:38",
                "shot",
                "3pt step back jump shot",
                "dangelorussell",
                "LAL",
                "lebronjames",
                "assist",
                True,
                "3PT",
                24.0,
                3,
            ),
        ),
        (
            "20240117_DEN_OKC_3",
            (
                "11:22",
                "shot",
                "hook shot",
                "nikolajokic",
                "DEN",
                "jamalmurray",
                "assist",
                True,
                "2PT",
                4.0,
                2,
            ),
        ),
        # No distance recorded: NULL, never 0.
        (
            "20240117_DEN_OKC_4",
            (
                "11:05",
                "shot",
                "3pt jump shot",
                "chetholmgren",
                "OKC",
                None,
                None,
                False,
                "3PT",
                None,
                0,
            ),
        ),
        (
            "20240117_DEN_OKC_8",
            (
                "10:31",
                "free throw",
                "free throw 1/2",
                "shaigilgeousalexander",
                "OKC",
                None,
                None,
                True,
                "FT",
                None,
                1,
            ),
        ),
    ],
)
def test_normalised_events(
    capsys: Capsys, db: Path, event_id: str, expected: tuple[Any, ...]
) -> None:
    assert ingest(capsys, "bigdataball", "--warehouse", db, GAMES)[0] == 0

    rows = query(db, f"SELECT {_EVENT_COLUMNS} FROM {PBP} WHERE event_id = '{event_id}'")

    assert [tuple(row.values()) for row in rows] == [expected]


def test_event_ids_sequences_and_names(capsys: Capsys, db: Path) -> None:
    ingest(capsys, "bigdataball", "--warehouse", db, BOS_MIA)

    rows = query(
        db,
        f"SELECT event_id, event_sequence, period, player_1_name FROM {PBP} "
        f"WHERE game_id = '20240115_BOS_MIA' ORDER BY event_sequence",
    )

    assert [row["event_sequence"] for row in rows] == list(range(1, 33))
    assert all(row["event_id"] == f"20240115_BOS_MIA_{row['event_sequence']}" for row in rows)
    assert {row["period"] for row in rows} == {1, 2, 3, 4}
    assert "Jaime Jaquez Jr." in {row["player_1_name"] for row in rows}


def test_rows_are_inserted_in_game_date_order(capsys: Capsys, db: Path) -> None:
    lal_phx = GAMES / "[2024-01-15]-0022300568-LAL@PHX.csv.gz"
    assert ingest(capsys, "bigdataball", "--warehouse", db, DEN_OKC, lal_phx, BOS_MIA)[0] == 0

    rows = query(db, f"SELECT game_date, game_id FROM {PBP} ORDER BY rowid")

    keys = [(row["game_date"], row["game_id"]) for row in rows]
    assert keys == sorted(keys)


def test_reingest_leaves_one_copy(capsys: Capsys, db: Path) -> None:
    ingest(capsys, "bigdataball", "--warehouse", db, GAMES)
    code, out, _ = ingest(capsys, "bigdataball", "--warehouse", db, GAMES)

    assert code == 0
    assert "loaded 3 files, 3 games, 74 events" in out
    assert events_by_game(db) == GAME_EVENTS
    assert query(db, f"SELECT COUNT(DISTINCT event_id) AS n FROM {PBP}") == [{"n": 74}]


def test_a_malformed_row_rejects_only_its_game(capsys: Capsys, db: Path) -> None:
    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, GAMES, MALFORMED)

    assert code == 1
    assert f"{MALFORMED}:4: date: '#VALUE!' is not a date" in err.splitlines()
    assert f"{MALFORMED}: game 20240116_CHI_NYK not written: malformed rows" in err.splitlines()
    assert out == "bigdataball: loaded 3 files, 3 games, 74 events; rejected 1 file, 1 game, 1 row"
    assert events_by_game(db) == GAME_EVENTS


def test_a_rejected_reingest_keeps_the_previous_copy(
    capsys: Capsys, db: Path, tmp_path: Path
) -> None:
    ingest(capsys, "bigdataball", "--warehouse", db, BOS_MIA)
    with BOS_MIA.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    records[9]["play_id"] = ""
    broken = tmp_path / BOS_MIA.name
    with broken.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=VENDOR_COLUMNS)
        writer.writeheader()
        writer.writerows(records)

    code, _, err = ingest(capsys, "bigdataball", "--warehouse", db, broken)

    assert code == 1
    assert f"{broken}:11: play_id is blank" in err
    assert events_by_game(db) == {"20240115_BOS_MIA": 32}


# Rows a game cannot place: they reject the game, with file and line.
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"play_id": ""}, "play_id is blank"),
        ({"play_id": "4b"}, "play_id: '4b' is not an integer"),
        ({"game_id": ""}, "game_id is blank"),
        ({"date": ""}, "date is blank"),
        ({"date": "#VALUE!"}, "date: '#VALUE!' is not a date"),
        ({"date": "2024-02-03"}, "date 2024-02-03 is not the game's date 2024-02-01"),
        ("22300599,too,few,fields", "expected 44 fields, got 4"),
    ],
)
def test_malformed_rows_are_reported_with_file_and_line(
    capsys: Capsys,
    db: Path,
    tmp_path: Path,
    row: dict[str, str] | str,
    message: str,
) -> None:
    bad = write_vendor(tmp_path / VENDOR_NAME, {}, {}, row, {})
    good_name = "[2024-02-02]-0022300600-CHI@NYK.csv"
    good = write_vendor(tmp_path / good_name, {"date": "2024-02-02"}, {"date": "2024-02-02"})

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, bad, good)

    assert code == 1
    assert f"{bad}:4: {message}" in err.splitlines()
    assert out.endswith("rejected 1 file, 1 game, 1 row")
    assert events_by_game(db) == {"20240202_CHI_NYK": 3}


PLACEHOLDER_ROW = {
    **{column: "" for column in ("team", "event_type", "player", "points", "result")},
    **{column: "" for column in ("shot_distance", "description")},
    "type": "unknown",
}
UNREADABLE_DISTANCE = "1 row with an unreadable shot_distance kept (shot_distance NULL)"


# Harmless oddities: the row is kept, what cannot be read is NULL, and the summary counts it.
@pytest.mark.parametrize(
    ("row", "column", "value", "kept"),
    [
        (PLACEHOLDER_ROW, "event_type", None, "1 placeholder row kept (event_type NULL)"),
        (
            {"result": "blocked"},
            "shot_made",
            None,
            "1 attempt without a made/missed result kept (shot_made NULL)",
        ),
        (
            {"event_type": "miss", "result": "made"},
            "shot_made",
            None,
            "1 attempt without a made/missed result kept (shot_made NULL)",
        ),
        (
            {"event_type": "free throw", "result": "", "points": "1", "type": "free throw 1 of 2"},
            "shot_made",
            None,
            "1 attempt without a made/missed result kept (shot_made NULL)",
        ),
        (
            {"points": "two"},
            "points_scored",
            None,
            "1 row with unreadable points kept (points_scored NULL)",
        ),
        (
            {"original_x": "n/a"},
            "original_x",
            None,
            "1 row with unreadable coordinates kept (original_x/y NULL)",
        ),
        ({"period": "OT"}, "period", None, "1 row with an unreadable period kept (period NULL)"),
        (
            {"remaining_time": "soon"},
            "game_clock",
            None,
            "1 row with an unreadable remaining_time kept (game_clock NULL)",
        ),
        (
            {"team": "BOS"},
            "player_1_team_abbr",
            None,
            "1 row with a team of neither side kept (team NULL)",
        ),
        (
            {"event_type": "free throw", "type": "free throw", "num": "1st", "points": "1"},
            "event_subtype",
            "free throw",
            "1 free throw without N of M kept (never an and-1)",
        ),
        # Implausible but harmless: kept as they are, and counted.
        ({"period": "-3"}, "period", -3, "1 row with a period outside 1-10 kept (as is)"),
        (
            {"shot_distance": "1e308", "type": "3pt jump shot"},
            "shot_distance",
            1e308,
            "1 row with a shot_distance outside 0-94 ft kept (as is)",
        ),
        ({"points": "7"}, "points_scored", 7, "1 row with points outside 0-3 kept (as is)"),
        # A labelled three keeps its zone without a distance.
        (
            {"shot_distance": "12ft", "type": "3pt jump shot"},
            "shot_type",
            "3PT",
            UNREADABLE_DISTANCE,
        ),
        # An unlabelled shot without a distance is mid-range by default: counted as such.
        (
            {"shot_distance": "12ft"},
            "shot_distance",
            None,
            f"{UNREADABLE_DISTANCE}, 1 shot without a distance or 3pt label kept (zone mid-range)",
        ),
    ],
)
def test_harmless_oddities_are_kept_and_counted(
    capsys: Capsys,
    db: Path,
    tmp_path: Path,
    row: dict[str, str],
    column: str,
    value: object,
    kept: str,
) -> None:
    path = write_vendor(tmp_path / VENDOR_NAME, {}, row, {})

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, path)

    assert (code, err) == (0, "")
    assert out == (
        f"bigdataball: loaded 1 file, 1 game, 4 events; rejected 0 files, 0 games, 0 rows; {kept}"
    )
    stored = query(db, f"SELECT {column} FROM {PBP} WHERE event_sequence = 2")
    assert stored == [{column: value}]


def test_every_play_type_normalises(capsys: Capsys, db: Path, tmp_path: Path) -> None:
    path = write_vendor(
        tmp_path / VENDOR_NAME,
        {
            "event_type": "Free Throw",
            "type": "free throw technical",
            "num": "1",
            "outof": "1",
            "points": "1",
        },
        {
            "event_type": "free throw",
            "type": "free throw 2 of 3",
            "points": "0",
            "result": "missed",
        },
        {"event_type": "shot", "type": "jump shot", "points": "3", "shot_distance": ""},
        {
            "event_type": "jump ball",
            "team": "",
            "player": "",
            "result": "",
            "points": "",
            "type": "",
            "away": "Nikola Vucevic",
            "home": "Isaiah Hartenstein",
        },
    )

    assert ingest(capsys, "bigdataball", "--warehouse", db, path)[0] == 0
    rows = query(
        db,
        f"SELECT event_type, event_subtype, shot_type, shot_made, points_scored "
        f"FROM {PBP} ORDER BY event_sequence",
    )

    assert [tuple(row.values()) for row in rows] == [
        # A technical 1 of 1 is no and-1: its subtype is not 'free throw 1/1'.
        ("free throw", "free throw technical 1/1", "FT", True, 1),
        ("free throw", "free throw 2/3", "FT", False, 0),
        ("shot", "3pt jump shot", "3PT", True, 3),
        ("jump ball", None, None, None, 0),
        ("end of period", None, None, None, 0),
    ]


def test_file_name_fallback_reads_date_and_teams_from_the_rows(
    capsys: Capsys, db: Path, tmp_path: Path
) -> None:
    path = write_vendor(
        tmp_path / "game.csv",
        {"team": "CHI", "player": "Zach LaVine"},
        {"team": "NYK", "player": "Josh Hart", "date": "2024-02-01"},
    )

    assert ingest(capsys, "bigdataball", "--warehouse", db, path)[0] == 0
    assert events_by_game(db) == {"20240201_CHI_NYK": 3}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        # Neither the name nor the rows tell which team is home.
        (
            ({"team": "NYK", **{f"a{i}": "" for i in range(1, 6)}},),
            ": cannot tell the game: the name is not like",
        ),
        (({}, {"game_id": "22300600"}), ":3: holds 2 games: game_id 22300600 after 22300599"),
    ],
)
def test_a_file_whose_game_is_unknown_is_rejected(
    capsys: Capsys,
    db: Path,
    tmp_path: Path,
    rows: tuple[dict[str, str], ...],
    message: str,
) -> None:
    path = write_vendor(tmp_path / "export.csv", *rows)

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, path)

    assert code == 1
    assert err.startswith(f"{path}{message}")
    assert out.endswith("rejected 1 file, 0 games, 0 rows")


def test_a_file_without_the_vendor_columns_is_rejected(
    capsys: Capsys, db: Path, tmp_path: Path
) -> None:
    path = tmp_path / VENDOR_NAME
    path.write_text("game_id,date,player\n1,2024-02-01,x\n", encoding="utf-8")

    code, _, err = ingest(capsys, "bigdataball", "--warehouse", db, path, BOS_MIA)

    assert code == 1
    assert err.startswith(f"{path}: not a BigDataBall file: no column period, remaining_time")
    assert events_by_game(db) == {"20240115_BOS_MIA": 32}


def test_a_byte_identical_copy_is_read_once(capsys: Capsys, db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / BOS_MIA.name
    copy.parent.mkdir()
    shutil.copy(BOS_MIA, copy)

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, BOS_MIA, copy)

    assert (code, err) == (0, "")
    assert out.startswith("bigdataball: loaded 1 file, 1 game, 32 events")
    assert events_by_game(db) == {"20240115_BOS_MIA": 32}


# --- usage errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bigdataball"], "error: no files given"),
        (["bigdataball", "nowhere.csv"], "error: nowhere.csv does not exist"),
        (["boxscores", "x.csv"], "error: argument source: invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    capsys: Capsys, db: Path, argv: list[str], message: str
) -> None:
    code, out, err = ingest(capsys, *argv, "--warehouse", db)

    assert code == 2
    assert err.startswith(message)
    assert len(err.splitlines()) == 1
    assert out == ""
    assert not db.exists()


def test_an_unopenable_warehouse_exits_2(capsys: Capsys, tmp_path: Path) -> None:
    code, _, err = ingest(capsys, "bigdataball", "--warehouse", tmp_path, BOS_MIA)

    assert code == 2
    assert err.startswith(f"error: cannot open warehouse {tmp_path}")
    assert len(err.splitlines()) == 1


def test_warehouse_defaults_to_the_environment(
    capsys: Capsys, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKFILL_WAREHOUSE", str(db))

    assert ingest(capsys, "bigdataball", BOS_MIA)[0] == 0
    assert events_by_game(db) == {"20240115_BOS_MIA": 32}
    tables = query(
        db, "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables"
    )
    assert {row["name"] for row in tables} >= {
        PBP,
        "nba_raw.nbac_schedule",
        "nba_raw.nbac_gamebook_player_stats",
    }


# --- NBA.com exports -------------------------------------------------------------------------


def test_schedule_export_keeps_ids_and_types_and_is_idempotent(capsys: Capsys, db: Path) -> None:
    assert ingest(capsys, "schedule", "--warehouse", db, SCHEDULE_CSV)[:2] == (
        0,
        "schedule: loaded 1 file, 5 games, 5 rows; rejected 0 files, 0 games, 0 rows",
    )
    assert ingest(capsys, "schedule", "--warehouse", db, SCHEDULE_CSV)[0] == 0

    rows = query(db, "SELECT * FROM nba_raw.nbac_schedule ORDER BY game_id")
    assert len(rows) == 5
    assert rows[0] == {
        "game_id": "0022300567",
        "game_date": date(2024, 1, 15),
        "season_year": 2023,
        "game_status": 3,
        "home_team_tricode": "MIA",
        "away_team_tricode": "BOS",
        "home_team_score": 6,
        "away_team_score": 8,
        "is_regular_season": True,
        "is_playoffs": False,
    }
    assert (rows[-1]["game_status"], rows[-1]["home_team_score"]) == (1, None)


def test_gamebook_export_is_idempotent(capsys: Capsys, db: Path) -> None:
    ingest(capsys, "gamebook", "--warehouse", db, GAMEBOOK_CSV)
    code, out, _ = ingest(capsys, "gamebook", "--warehouse", db, GAMEBOOK_CSV)

    assert (code, out) == (
        0,
        "gamebook: loaded 1 file, 3 games, 34 rows; rejected 0 files, 0 games, 0 rows",
    )
    rows = query(
        db,
        "SELECT player_lookup, player_status, dnp_reason, minutes, points "
        "FROM nba_raw.nbac_gamebook_player_stats WHERE game_id = '20240115_BOS_MIA'",
    )
    assert len(rows) == 13
    by_player = {row["player_lookup"]: row for row in rows}
    assert by_player["jaysontatum"] == {
        "player_lookup": "jaysontatum",
        "player_status": "active",
        "dnp_reason": None,
        "minutes": "38:12",
        "points": 4,
    }
    assert by_player["svimykhailiuk"]["points"] is None


def test_a_sharded_export_loads_games_split_across_files(
    capsys: Capsys, db: Path, tmp_path: Path
) -> None:
    lines = GAMEBOOK_CSV.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    first, second = tmp_path / "gamebook-000.csv", tmp_path / "gamebook-001.csv"
    first.write_text("\n".join([header, *body[:5]]) + "\n", encoding="utf-8")
    second.write_text("\n".join([header, *body[5:]]) + "\n", encoding="utf-8")

    code, out, _ = ingest(capsys, "gamebook", "--warehouse", db, tmp_path)

    assert (code, out) == (
        0,
        "gamebook: loaded 2 files, 3 games, 34 rows; rejected 0 files, 0 games, 0 rows",
    )


def test_a_malformed_export_row_rejects_its_game(capsys: Capsys, db: Path, tmp_path: Path) -> None:
    text = GAMEBOOK_CSV.read_text(encoding="utf-8")
    broken = tmp_path / "gamebook.csv"
    broken.write_text(
        text.replace(
            "Tyler Herro,tylerherro,MIA,active,,34:44,3,",
            "Tyler Herro,tylerherro,MIA,active,,34:44,three,",
        ),
        encoding="utf-8",
    )

    code, out, err = ingest(capsys, "gamebook", "--warehouse", db, broken)

    assert code == 1
    assert f"{broken}:9: points: 'three' is not an integer" in err.splitlines()
    assert out.endswith("loaded 0 files, 2 games, 21 rows; rejected 1 file, 1 game, 1 row")
    games = query(db, "SELECT DISTINCT game_id FROM nba_raw.nbac_gamebook_player_stats ORDER BY 1")
    assert [row["game_id"] for row in games] == ["20240115_LAL_PHX", "20240117_DEN_OKC"]


def test_an_export_missing_columns_or_repeating_rows_is_rejected(
    capsys: Capsys, db: Path, tmp_path: Path
) -> None:
    partial = tmp_path / "partial.csv"
    partial.write_text("game_id,game_date\n0022300567,2024-01-15\n", encoding="utf-8")
    copy = tmp_path / "again.csv"
    shutil.copy(SCHEDULE_CSV, copy)

    code, out, err = ingest(capsys, "schedule", "--warehouse", db, partial, SCHEDULE_CSV, copy)

    assert code == 1
    assert f"{partial}: not an export of nba_raw.nbac_schedule: no column season_year" in err
    assert f"{copy}:2: duplicate game_id=0022300567 (first at {SCHEDULE_CSV}:2)" in err
    assert out.endswith("rejected 3 files, 5 games, 5 rows")
    assert not db.exists()


# --- end to end: the backfill reads what ingest wrote ------------------------------------------

# Per player with minutes on 2024-01-15: paint, mid-range and three attempts/makes, assisted
# and unassisted makes, and-1s, and blocks by zone of the blocked shot; all others are 0.
EXPECTED_ZONES = {
    "jaysontatum": (0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0),  # assisted 25 ft three
    "jaylenbrown": (1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0),  # assisted layup
    "jrueholiday": (0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0),  # 9 ft floater: mid-range
    "derrickwhite": (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0),  # three by description
    "kristapsporzingis": (0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0),  # blocked Butler's layup
    "bamadebayo": (1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0),  # 'miss' jumper, putback and-1
    "jimmybutler": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "tylerherro": (0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0),  # three by its 3 points
    "jaimejaquezjr": (0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "dangelorussell": (0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0),
    "lebronjames": (1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0),  # layup and-1
    "anthonydavis": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),  # blocked Durant's three
    "devinbooker": (0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0),
    "kevindurant": (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0),  # free throws 1/2 2/2 are no and-1
    "bradleybeal": (1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0),
    "graysonallen": (0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0),
}
WITH_MINUTES_NO_SHOTS = {
    "duncanrobinson",
    "kevinlove",
    "austinreaves",
    "taureanprince",
    "jusufnurkic",
}
DNP_OR_INACTIVE = {"svimykhailiuk", "joshrichardson", "jaxsonhayes"}


def backfill_day(db: Path, day: date) -> tuple[DayStatus, int | None, int | None]:
    """Run the player_game_summary job on ``day`` as the backfill does: status, rows, games."""
    warehouse = DuckDBWarehouse(db, datasets=as_named(DATASETS))
    try:
        job = PlayerGameSummaryJob(warehouse)
        job.prepare()
        [result] = job.process([day])
    finally:
        warehouse.close()
    return result.status, result.rows, result.units


def test_backfill_shot_zones_equal_the_ingested_shots(capsys: Capsys, db: Path) -> None:
    assert ingest(capsys, "schedule", "--warehouse", db, SCHEDULE_CSV)[0] == 0
    assert ingest(capsys, "gamebook", "--warehouse", db, GAMEBOOK_CSV)[0] == 0
    assert ingest(capsys, "bigdataball", "--warehouse", db, GAMES)[0] == 0

    assert backfill_day(db, date(2024, 1, 15)) == (DayStatus.SUCCESS, 24, 2)
    rows = query(
        db,
        f"SELECT player_lookup, minutes_played, has_complete_shot_zones, "
        f"shot_zones_source, {', '.join(ZONE_COLUMNS)} "
        f"FROM nba_analytics.player_game_summary",
    )
    by_player = {row["player_lookup"]: row for row in rows}
    assert set(by_player) == set(EXPECTED_ZONES) | WITH_MINUTES_NO_SHOTS | DNP_OR_INACTIVE
    for lookup, row in by_player.items():
        zones = tuple(row[column] for column in ZONE_COLUMNS)
        if lookup in DNP_OR_INACTIVE:
            assert zones == (None,) * len(ZONE_COLUMNS), lookup
            continue
        assert zones == EXPECTED_ZONES.get(lookup, (0,) * len(ZONE_COLUMNS)), lookup
        assert row["has_complete_shot_zones"] is True, lookup
        assert row["shot_zones_source"] == "bigdataball"


# Paint, mid-range and three attempts of each player with minutes in the playoff game.
PLAYOFF_ZONE_ATTEMPTS = {
    "tyresehaliburton": (0, 0, 1),
    "pascalsiakam": (0, 1, 1),
    "mylesturner": (1, 0, 0),
    "aaronnesmith": (0, 0, 1),  # a three by its description, no distance
    "tjmcconnell": (0, 1, 0),
    "andrewnembhard": (0, 0, 0),
    "shaigilgeousalexander": (1, 1, 0),
    "jalenwilliams": (1, 0, 0),
    "chetholmgren": (0, 1, 0),  # distance "12ft": mid-range by default, counted
    "luguentzdort": (0, 0, 1),  # a corner three with coordinates "nan"
    "isaiahhartenstein": (1, 0, 0),
    "alexcaruso": (0, 0, 0),
}


def test_a_real_vendor_game_loads_and_its_zones_add_up_to_the_box_score(
    capsys: Capsys, db: Path
) -> None:
    assert ingest(capsys, "schedule", "--warehouse", db, PLAYOFFS / "nbac_schedule.csv")[0] == 0
    gamebook = PLAYOFFS / "nbac_gamebook_player_stats.csv"
    assert ingest(capsys, "gamebook", "--warehouse", db, gamebook)[0] == 0

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, IND_OKC)

    assert (code, err) == (0, "")
    assert out == (
        "bigdataball: loaded 1 file, 1 game, 40 events; rejected 0 files, 0 games, 0 rows; "
        "1 free throw without N of M kept (never an and-1), "
        "3 placeholder rows kept (event_type NULL), "
        "1 row with an unreadable shot_distance kept (shot_distance NULL), "
        "1 row with unreadable coordinates kept (original_x/y NULL), "
        "1 shot without a distance or 3pt label kept (zone mid-range)"
    )
    placeholders = query(
        db, f"SELECT event_sequence, event_subtype FROM {PBP} WHERE event_type IS NULL ORDER BY 1"
    )
    assert placeholders == [
        {"event_sequence": sequence, "event_subtype": "unknown"} for sequence in (6, 15, 28)
    ]

    assert backfill_day(db, date(2025, 6, 22)) == (DayStatus.SUCCESS, 16, 1)
    rows = query(
        db,
        "SELECT player_lookup, fg_attempts, paint_attempts, mid_range_attempts, "
        "three_attempts_pbp, has_complete_shot_zones, and1_count, three_pt_blocks "
        "FROM nba_analytics.player_game_summary WHERE minutes_played IS NOT NULL",
    )
    by_player = {row["player_lookup"]: row for row in rows}
    assert set(by_player) == set(PLAYOFF_ZONE_ATTEMPTS)
    for lookup, row in by_player.items():
        zones = (row["paint_attempts"], row["mid_range_attempts"], row["three_attempts_pbp"])
        assert zones == PLAYOFF_ZONE_ATTEMPTS[lookup], lookup
        assert sum(zones) == row["fg_attempts"], lookup
        assert row["has_complete_shot_zones"] is True, lookup
    # The technical free throw without "1 of 1" is no and-1; the and-1 after the layup is.
    assert by_player["shaigilgeousalexander"]["and1_count"] == 1
    assert by_player["pascalsiakam"]["three_pt_blocks"] == 1


# --- a loaded game is never replaced by less: mutations of the real-format G7 file ---------

G7_TEXT = IND_OKC.read_bytes()
G7_LINES = G7_TEXT.decode("utf-8").splitlines(keepends=True)
G7_ID = "20250622_IND_OKC"


def g7_rows(db: Path) -> list[dict[str, Any]]:
    """Everything the warehouse holds of the G7 game, in a fixed order."""
    return query(db, f"SELECT * FROM {PBP} WHERE game_id = '{G7_ID}' ORDER BY event_sequence")


@pytest.fixture
def g7(capsys: Capsys, db: Path) -> list[dict[str, Any]]:
    """The whole G7 file loaded into ``db``: its rows."""
    assert ingest(capsys, "bigdataball", "--warehouse", db, IND_OKC)[0] == 0
    rows = g7_rows(db)
    assert len(rows) == 40
    return rows


def g7_copy(tmp_path: Path, content: bytes | list[str], name: str = IND_OKC.name) -> Path:
    """A mutated G7 file under the vendor's name (lines are joined as they are)."""
    path = tmp_path / "mutated" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else "".join(content).encode("utf-8"))
    return path


def refused(capsys: Capsys, db: Path, *argv: str | Path, tally: str = "") -> list[str]:
    """Run an ingest that must be refused: exit 1, a summary line (ending with ``tally``), no
    traceback; its stderr."""
    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, *argv)
    assert code == 1
    assert out.startswith("bigdataball: loaded 0 files, 0 games, 0 events; rejected ")
    assert out.endswith(tally)
    assert "Traceback" not in err
    return err.splitlines()


@pytest.mark.parametrize(
    ("mutate", "line", "reason"),
    [
        # Cut inside the last column: the last line keeps its 44 fields but no line break.
        (lambda: G7_TEXT[:-8], 41, "the last line has no line break: the file is cut short"),
        # `head -30`: whole lines, the last event a made shot of the 1st quarter.
        (
            lambda: G7_LINES[:30],
            30,
            "not the whole game: the last event is 'shot' in period 1, not its end",
        ),
        # Cut right after the end of the 2nd period: an end, but not the game's.
        (
            lambda: G7_LINES[:37],
            37,
            "not the whole game: the last event is 'end of period' in period 2, not its end",
        ),
        # The last scores level: the game went on to overtime.
        (
            lambda: [*G7_LINES[:-1], G7_LINES[-1].replace(",4,11,8,", ",4,8,8,")],
            41,
            "not the whole game: the last event leaves the scores level at 8-8",
        ),
    ],
)
def test_a_file_cut_short_is_refused_and_the_game_kept(
    capsys: Capsys,
    db: Path,
    tmp_path: Path,
    g7: list[dict[str, Any]],
    mutate: Any,
    line: int,
    reason: str,
) -> None:
    path = g7_copy(tmp_path, mutate())

    tally = "rejected 1 file, 1 game, 0 rows"
    assert refused(capsys, db, path, tally=tally) == [f"{path}:{line}: {reason}"]
    assert g7_rows(db) == g7


def test_events_after_the_final_buzzer_are_part_of_the_whole_game(
    capsys: Capsys, db: Path, tmp_path: Path
) -> None:
    # A technical free throw after the end of the 4th period: the last event, the game whole.
    after = (
        G7_LINES[-1]
        .replace(",4,11,8,", ",4,11,9,")
        .replace(",40,,end of period,", ",41,OKC,free throw,")
    )
    path = g7_copy(tmp_path, [*G7_LINES, after])

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, path)

    assert (code, err) == (0, "")
    assert len(g7_rows(db)) == 41


def test_a_period_without_its_end_is_refused(capsys: Capsys, db: Path, tmp_path: Path) -> None:
    # An overtime begun and cut short: period 5 has no end.
    start = G7_LINES[-2].replace(",4,11,8,", ",5,11,8,").replace(",39,", ",41,")
    path = g7_copy(tmp_path, [*G7_LINES, start])

    assert refused(capsys, db, path) == [
        f"{path}:42: not the whole game: period 5 has no end (the last event is "
        "'start of period' in period 5)"
    ]
    assert not db.exists()


def test_last_scores_other_than_the_schedules_final_are_refused(
    capsys: Capsys, db: Path, tmp_path: Path, g7: list[dict[str, Any]]
) -> None:
    assert ingest(capsys, "schedule", "--warehouse", db, PLAYOFFS / "nbac_schedule.csv")[0] == 0
    # IND 13 at the end of every period after the 1st quarter: whole in shape, not the game.
    lines = [text.replace(",11,8,", ",13,8,") for text in G7_LINES]
    path = g7_copy(tmp_path, lines)

    assert refused(capsys, db, path) == [
        f"{path}:41: not the whole game: it ends IND 13, OKC 8; the schedule's final score is "
        "IND 11, OKC 8"
    ]
    assert g7_rows(db) == g7


def test_fewer_events_than_loaded_need_replace(
    capsys: Capsys, db: Path, tmp_path: Path, g7: list[dict[str, Any]]
) -> None:
    # Whole in shape (it ends the game) but six plays short: a vendor's partial re-issue.
    path = g7_copy(tmp_path, [*G7_LINES[:20], *G7_LINES[26:]])

    assert refused(capsys, db, path) == [
        f"{path}: game {G7_ID} not written: it holds 40 events, this copy 34; pass --replace "
        "to replace it with fewer"
    ]
    assert g7_rows(db) == g7

    code, out, _ = ingest(capsys, "bigdataball", "--warehouse", db, "--replace", path)
    assert (code, len(g7_rows(db))) == (0, 34)
    assert out.startswith("bigdataball: loaded 1 file, 1 game, 34 events; rejected 0 files")


def test_two_different_files_of_one_game_are_both_refused(
    capsys: Capsys, db: Path, tmp_path: Path, g7: list[dict[str, Any]]
) -> None:
    # A browser's "(1)" copy, cut short but whole in shape; its name sorts first.
    copy = g7_copy(tmp_path, [*G7_LINES[:10], *G7_LINES[-2:]], name=f"{IND_OKC.stem} (1).csv")

    err = refused(capsys, db, IND_OKC, copy)

    assert err == [
        f"{IND_OKC}: game {G7_ID} is also in {copy}: both refused, which is whole cannot be "
        "told; ingest the right one alone",
        f"{copy}: game {G7_ID} is also in {IND_OKC}: both refused, which is whole cannot be "
        "told; ingest the right one alone",
    ]
    assert g7_rows(db) == g7


@pytest.mark.parametrize(
    ("mutate", "line", "reason"),
    [
        # A quote opened in a description and never closed swallows the rest of the file.
        (
            lambda: [*G7_LINES[:9], G7_LINES[9].replace(",MISS", ',"MISS'), *G7_LINES[10:]],
            10,
            "a field runs over several lines: a quote left open?",
        ),
        # ...and in a large file, the CSV reader's field size limit.
        (
            lambda: [*G7_LINES[:9], G7_LINES[9].replace(",MISS", ',"MISS'), *G7_LINES[10:] * 400],
            10,
            "a quote left open? (field larger than field limit (131072))",
        ),
        # Two files joined with `cat`: the header again.
        (lambda: [*G7_LINES[:20], G7_LINES[0], *G7_LINES[20:]], 21, "the header again: "),
        # One byte that is not UTF-8 (a Latin-1 'é').
        (
            lambda: b"".join(
                line.encode("utf-8") if number != 14 else line.encode("utf-8")[:-2] + b"\xe9\n"
                for number, line in enumerate(G7_LINES)
            ),
            15,
            "not UTF-8 text (byte 0xe9: invalid continuation byte)",
        ),
        # A NUL byte, as a copy interrupted mid-write leaves.
        (
            lambda: [*G7_LINES[:6], G7_LINES[6].replace("Jalen", "Ja\0len"), *G7_LINES[7:]],
            7,
            "a NUL byte: the file is damaged",
        ),
        # Numbers too large for INT64: an error with its line, never an OverflowError.
        (
            lambda: [
                *G7_LINES[:3],
                G7_LINES[3].replace(",3,OKC,shot,", ",99999999999999999999,OKC,shot,"),
                *G7_LINES[4:],
            ],
            4,
            "play_id: '99999999999999999999' is out of range for INT64",
        ),
        (
            lambda: [
                *G7_LINES[:3],
                G7_LINES[3].replace(
                    ",Shai Gilgeous-Alexander,2,", ",Shai Gilgeous-Alexander,99999999999999999999,"
                ),
                *G7_LINES[4:],
            ],
            4,
            "points: '99999999999999999999' is out of range for INT64",
        ),
    ],
)
def test_a_parse_error_names_the_file_and_line_and_keeps_the_game(
    capsys: Capsys,
    db: Path,
    tmp_path: Path,
    g7: list[dict[str, Any]],
    mutate: Any,
    line: int,
    reason: str,
) -> None:
    path = g7_copy(tmp_path, mutate())

    err = refused(capsys, db, path)

    assert err[0].startswith(f"{path}:{line}: {reason}")
    assert all(message.startswith(f"{path}") for message in err)
    assert g7_rows(db) == g7


def test_a_compressed_file_cut_short_names_the_line_reached(
    capsys: Capsys, db: Path, tmp_path: Path, g7: list[dict[str, Any]]
) -> None:
    data = gzip.compress(G7_TEXT)
    path = g7_copy(tmp_path, data[: len(data) // 2], name=IND_OKC.name + ".gz")

    (message,) = refused(capsys, db, path)

    assert re.fullmatch(
        rf"{re.escape(str(path))}:\d+: the compressed file is cut short .*", message
    )
    assert g7_rows(db) == g7


def test_a_refused_ingest_creates_no_warehouse(capsys: Capsys, db: Path, tmp_path: Path) -> None:
    path = g7_copy(tmp_path, G7_LINES[:30])

    refused(capsys, db, path)

    assert not db.exists()


def test_an_interrupted_ingest_exits_130_without_a_traceback(
    capsys: Capsys, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("shared.nba.ingest.__main__.ingest_bigdataball", interrupt)

    code, out, err = ingest(capsys, "bigdataball", "--warehouse", db, IND_OKC)

    assert (code, out) == (130, "")
    assert err == "interrupted: each game is written whole or not at all; run the command again"


def test_the_ingest_fault_campaign_changes_no_game_by_a_refused_file(tmp_path: Path) -> None:
    """A few rounds of ``make chaos``'s ingest campaign, as processes (the full one runs 25)."""
    campaign = run_ingest_campaign(tmp_path, seed=20261207, mutations=4, jobs=2)

    assert [r.problems() for r in campaign.rounds] == [[]] * 4
    assert any(r.refused for r in campaign.rounds)
    assert "seed 20261207" in campaign.render().splitlines()[0]


def test_a_sigterm_as_ingest_starts_is_exit_130_in_one_line(
    g7: list[dict[str, Any]], db: Path
) -> None:
    """Sent once the process has its SIGTERM handler (its first line): the signal lands in
    the imports (duckdb's native loading included) or in the ingest, never as a traceback or
    a signal death, and the loaded game stays whole. (SIGINT at this moment ended once in
    four loaded runs with exit -2 after its one line: not yet understood, so not claimed.)"""
    sig = signal.SIGTERM
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.nba.ingest", "bigdataball", "--warehouse", str(db),
         str(IND_OKC)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )  # fmt: skip
    wait_for(lambda: catches(process.pid, signal.SIGTERM), timeout=20, interval=0.005)
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    assert "Traceback" not in err
    assert (process.returncode, out) == (130, "") or process.returncode == 0, (out, err)
    if process.returncode == 130:
        assert len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert g7_rows(db) == g7
