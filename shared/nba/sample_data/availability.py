"""Who is listed for each game, who plays, why the others do not, and everyone's minutes.

Absences come in spells drawn once per season (an ankle sprain keeps a player out
for a week, a two-way player spends stretches in the G League), so a player's
availability runs in streaks as in real gamebooks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

import numpy as np

from shared.nba.sample_data.calendar import SeasonCalendar
from shared.nba.sample_data.league import N_TEAMS, ROSTER_SIZE
from shared.nba.sample_data.sampling import ranks_in_rows, segment_starts
from shared.nba.sample_data.schedule import Schedule


class Status(enum.IntEnum):
    ACTIVE = 0
    DNP = 1
    INACTIVE = 2
    UNLISTED = 3


STATUS_NAMES = ("active", "dnp", "inactive")

# dnp_reason texts in the NBA.com gamebook / official injury report wording.
COACHS_DECISION = "Coach's Decision"
REST = "Rest"
HEALTH_AND_SAFETY = "Health and Safety Protocols"
_INJURIES = (
    "Injury/Illness - Left Ankle; Sprain",
    "Injury/Illness - Right Ankle; Sprain",
    "Injury/Illness - Left Knee; Soreness",
    "Injury/Illness - Right Knee; Injury Management",
    "Injury/Illness - Right Hamstring; Strain",
    "Injury/Illness - Left Hamstring; Strain",
    "Injury/Illness - Low Back; Spasms",
    "Injury/Illness - Left Foot; Plantar Fasciitis",
    "Injury/Illness - Right Calf; Strain",
    "Injury/Illness - Left Groin; Strain",
    "Injury/Illness - Right Wrist; Fracture",
    "Injury/Illness - Right Shoulder; Dislocation",
    "Injury/Illness - Illness",
    "Injury/Illness - Non-COVID Illness",
)
_G_LEAGUE = ("G League - On Assignment", "G League - Two-Way")
_PERSONAL = ("Personal Reasons", "Not With Team")
REASONS: tuple[str, ...] = (
    COACHS_DECISION,
    REST,
    HEALTH_AND_SAFETY,
    *_INJURIES,
    *_G_LEAGUE,
    *_PERSONAL,
)
_CODE = {reason: code for code, reason in enumerate(REASONS)}
_INJURY_CODES = np.array([_CODE[r] for r in _INJURIES])
_G_LEAGUE_CODES = np.array([_CODE[r] for r in _G_LEAGUE])
_PERSONAL_CODES = np.array([_CODE[r] for r in _PERSONAL])

# Injury spells per player-season (2.5, lasting Geometric(0.2) days, mean 5, and 12% of
# them 2-9 weeks longer): one or two players per team out injured on a typical night,
# plus G League and other absences, as on the NBA's official injury reports.
_INJURIES_PER_SEASON = 2.5
_INJURY_DAYS_P = 0.2
_LONG_INJURY_RATE = 0.12
_LONG_INJURY_DAYS = (14, 63)
# The deepest slots are two-way or end-of-bench players sent down in stretches.
_G_LEAGUE_FIRST_SLOT = 13
_G_LEAGUE_SPELLS = 2.0
_G_LEAGUE_DAYS = (3, 15)
_PERSONAL_SPELLS = 0.08
_PERSONAL_DAYS = (1, 5)
# The Omicron wave of 2021-22: about a third of the league entered the protocols between
# mid-December and mid-January, for the 10-day isolation (NBA health and safety protocols).
_PROTOCOL_SEASON = 2021
_PROTOCOL_WINDOW = (date(2021, 12, 12), date(2022, 1, 12))
_PROTOCOL_RATE = 0.3
_PROTOCOL_DAYS = (6, 12)
# Stars sit out about one game in 80 to rest (load management).
_REST_SLOTS = 5
_REST_RATE = 0.012
# Injured players who dressed but did not play are 'dnp' (DND in the gamebook).
_DID_NOT_DRESS_RATE = 0.25

# Players listed per team-game (13-17) and players who get minutes (9-11), NBA.com
# gamebooks 2021-24: most list the whole roster, a ten-man rotation is typical.
_LISTED = (np.arange(13, 18), (0.02, 0.05, 0.13, 0.32, 0.48))
_PLAYING = (np.arange(9, 12), (0.25, 0.45, 0.30))
# Minutes a coach gives each depth-chart slot in a full-strength game (rotation 34..16).
_BASE_MINUTES = np.array([34, 33, 31, 30, 28, 25, 22, 19, 16, 12, 9, 6, 4, 3, 3, 2, 2], float)
_MINUTES_NOISE = 0.18
# Team minutes: 5 players x 48 minutes, plus 5 x 5 minutes per overtime period.
REGULATION_SECONDS = 5 * 48 * 60
OVERTIME_SECONDS = 5 * 5 * 60
# A small share of gamebooks give whole minutes ("36"), which parsers must accept.
_WHOLE_MINUTE_RATE = 0.03
# Nobody plays the whole game: the busiest player stays 2 minutes under it, which also
# leaves room for the seconds whole-minute rounding moves onto him.
_CAP_MARGIN_SECONDS = 120
# Listing and rotation keys (depth slot + noise): deep slots are left off the gamebook more
# often, injured players always make its inactive list, players in the G League often not;
# a coach plays the first healthy slots, reshuffled by about one slot.
_LISTING_NOISE = 1.8
_LISTED_IF_INJURED = -20.0
_UNLISTED_IF_G_LEAGUE = 4.0
_ROTATION_NOISE = 0.7


@dataclass(frozen=True)
class Lineups:
    """Per (team-game, depth slot): the player, his status and reason, and his seconds."""

    team: np.ndarray
    player: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    seconds: np.ndarray
    whole_minute: np.ndarray


def team_seconds(overtimes: np.ndarray) -> np.ndarray:
    """Seconds a team's players share: 14,400 in regulation, +1,500 per overtime."""
    return REGULATION_SECONDS + OVERTIME_SECONDS * overtimes


def _spells(
    rng: np.random.Generator, calendar: SeasonCalendar, season_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Absence spells of every roster spot as (first day, last day, reason) arrays of shape
    (spot, spell), padded with empty spells; days count from the opener."""
    spots = N_TEAMS * ROSTER_SIZE
    spells: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    owner = np.repeat(np.arange(spots), rng.poisson(_INJURIES_PER_SEASON, spots))
    n = len(owner)
    long_extra = np.where(rng.random(n) < _LONG_INJURY_RATE, rng.integers(*_LONG_INJURY_DAYS, n), 0)
    length = rng.geometric(_INJURY_DAYS_P, n) + long_extra
    spells.append((owner, rng.integers(-7, season_days, n), length, rng.choice(_INJURY_CODES, n)))

    deep = np.flatnonzero(np.arange(spots) % ROSTER_SIZE >= _G_LEAGUE_FIRST_SLOT)
    owner = np.repeat(deep, rng.poisson(_G_LEAGUE_SPELLS, len(deep)))
    n = len(owner)
    length = rng.integers(*_G_LEAGUE_DAYS, n)
    spells.append((owner, rng.integers(0, season_days, n), length, rng.choice(_G_LEAGUE_CODES, n)))

    owner = np.repeat(np.arange(spots), rng.poisson(_PERSONAL_SPELLS, spots))
    n = len(owner)
    length = rng.integers(*_PERSONAL_DAYS, n)
    spells.append((owner, rng.integers(0, season_days, n), length, rng.choice(_PERSONAL_CODES, n)))

    if calendar.season_year == _PROTOCOL_SEASON:
        owner = np.flatnonzero(rng.random(spots) < _PROTOCOL_RATE)
        n = len(owner)
        first, last = ((day - calendar.opener).days for day in _PROTOCOL_WINDOW)
        length = rng.integers(*_PROTOCOL_DAYS, n)
        reason = np.full(n, _CODE[HEALTH_AND_SAFETY])
        spells.append((owner, rng.integers(first, last, n), length, reason))

    owner, begin, length, reason = (np.concatenate(part) for part in zip(*spells, strict=True))
    order = np.argsort(owner, kind="stable")
    owner = owner[order]
    column = np.arange(len(owner)) - segment_starts(owner)
    width = int(column.max()) + 1 if len(owner) else 1
    first_day = np.full((spots, width), np.iinfo(np.int64).max)
    last_day = np.full((spots, width), -1)
    spell_reason = np.full((spots, width), -1)
    first_day[owner, column] = begin[order]
    last_day[owner, column] = begin[order] + length[order] - 1
    spell_reason[owner, column] = reason[order]
    return first_day, last_day, spell_reason


def _seconds(
    rng: np.random.Generator, plays: np.ndarray, overtimes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Integer seconds per player summing exactly to the team's total, and whole-minute flags.

    Example: ten players with base minutes summing to 250 share 14,400 s, so the
    34-minute starter gets about 34 * 240 / 250 = 32.6 minutes before noise.
    """
    n = len(plays)
    total = team_seconds(np.repeat(overtimes, 2))
    cap = (48 * 60 + 5 * 60 * np.repeat(overtimes, 2) - _CAP_MARGIN_SECONDS)[:, None]
    weight = _BASE_MINUTES * np.exp(rng.normal(0.0, _MINUTES_NOISE, plays.shape)) * plays
    share = weight
    for _ in range(4):
        share = total[:, None] * weight / weight.sum(axis=1, keepdims=True)
        weight = np.minimum(share, cap)
    seconds = np.floor(share).astype(np.int64)
    short = total - seconds.sum(axis=1)
    seconds += ranks_in_rows(-(share - seconds)) < short[:, None]

    top = np.argmax(seconds, axis=1)
    whole = plays & (seconds >= 300) & (rng.random(plays.shape) < _WHOLE_MINUTE_RATE)
    whole[np.arange(n), top] = False
    rounded = np.where(whole, np.round(seconds / 60).astype(np.int64) * 60, seconds)
    rounded[np.arange(n), top] += (seconds - rounded).sum(axis=1)
    return rounded, whole


def lineups(
    rng: np.random.Generator, schedule: Schedule, rosters: np.ndarray, calendar: SeasonCalendar
) -> Lineups:
    """Who is listed (13-17 per team-game) and who plays (9-11), why the others do not,
    and the seconds of those who play."""
    n_teams_games = 2 * len(schedule)
    team = np.stack([schedule.away, schedule.home], axis=1).ravel()
    day = np.repeat((schedule.game_date - np.datetime64(calendar.opener, "D")).astype(np.int64), 2)
    season_days = int(day.max()) + 1
    slots = np.arange(ROSTER_SIZE)
    spot = team[:, None] * ROSTER_SIZE + slots

    start, last, spell_reason = _spells(rng, calendar, season_days)
    in_spell = (start[spot] <= day[:, None, None]) & (day[:, None, None] <= last[spot])
    away = in_spell.any(axis=2)
    reason = np.where(
        away,
        np.take_along_axis(spell_reason[spot], in_spell.argmax(axis=2)[..., None], axis=2)[..., 0],
        -1,
    )
    resting = ~away & (slots < _REST_SLOTS) & (rng.random(away.shape) < _REST_RATE)
    reason = np.where(resting, _CODE[REST], reason)
    away |= resting
    g_league = np.isin(reason, _G_LEAGUE_CODES)

    n_listed = rng.choice(_LISTED[0], size=n_teams_games, p=_LISTED[1])
    list_key = slots + rng.normal(0.0, _LISTING_NOISE, away.shape)
    list_key += _LISTED_IF_INJURED * (away & ~g_league) + _UNLISTED_IF_G_LEAGUE * g_league
    listed = ranks_in_rows(list_key) < n_listed[:, None]
    # Absent players play only when fewer than n_playing healthy ones are listed.
    n_playing = rng.choice(_PLAYING[0], size=n_teams_games, p=_PLAYING[1])
    play_key = slots + rng.normal(0.0, _ROTATION_NOISE, away.shape)
    play_key += 100.0 * away + 1000.0 * ~listed
    plays = ranks_in_rows(play_key) < n_playing[:, None]

    injured = np.isin(reason, _INJURY_CODES)
    dressed = injured & (rng.random(away.shape) < _DID_NOT_DRESS_RATE)
    status = np.select(
        [plays, ~listed, away & ~dressed],
        [Status.ACTIVE, Status.UNLISTED, Status.INACTIVE],
        Status.DNP,
    ).astype(np.int8)
    reason = np.where(plays, -1, np.where(away, reason, _CODE[COACHS_DECISION]))
    seconds, whole = _seconds(rng, plays, schedule.overtimes)
    return Lineups(
        team=team,
        player=rosters[team],
        status=status,
        reason=reason,
        seconds=seconds,
        whole_minute=whole,
    )
