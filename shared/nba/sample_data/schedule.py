"""A season's games: the regular-season schedule, the play-in and the playoff bracket.

Outcomes are decided here, before any box score exists, from team strengths: the
playoff bracket needs the standings, and this keeps a season one vectorised batch.
The box-score simulation then makes the designated winner outscore the loser.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

import numpy as np

from shared.nba.sample_data.calendar import SeasonCalendar, season_calendar
from shared.nba.sample_data.league import DIVISIONS, DIVISIONS_PER_CONFERENCE, N_TEAMS, TEAMS
from shared.nba.sample_data.sampling import Stream, stream


class GameKind(enum.IntEnum):
    REGULAR = 0
    PLAY_IN = 1
    PLAYOFFS = 2


# Relative number of games by weekday, Monday..Sunday: national-TV Tuesdays and
# Thursdays are light, Wednesdays and Fridays full (2021-24 NBA schedules).
_WEEKDAY_WEIGHT = (1.0, 0.85, 1.35, 0.55, 1.3, 1.05, 0.8)
# Opening night is a doubleheader, Christmas has five games and all 30 teams play on the
# last day, every season.
_OPENING_NIGHT_GAMES = 2
_CHRISTMAS_GAMES = 5
_MAX_GAMES_PER_DAY = N_TEAMS // 2
# Day-to-day spread of game counts around the weekday pattern (lognormal sigma).
_DAY_NOISE = 0.3
# Home teams win ~56% of NBA games (basketball-reference, 2021-24); strengths are N(0, 1).
_HOME_EDGE = 0.24
_STRENGTH_SCALE = 0.6
# ~6% of games go to overtime; of those ~17% to a second, ~3% to a third period.
_OVERTIME_RATE = 0.06
_DOUBLE_OVERTIME_RATE = 0.17
_TRIPLE_OVERTIME_RATE = 0.03
# Days between games of a series: every 1-2 days, the Finals every 2-3 days.
_SERIES_GAPS = ((1, 2), (0.25, 0.75))
_FINALS_GAPS = ((2, 3), (0.5, 0.5))
_REST_BEFORE_NEXT_ROUND = 2
_REST_BEFORE_FINALS = 3
# Games 1, 2, 5 and 7 at the higher seed's arena (the 2-2-1-1-1 format).
_HIGHER_SEED_HOSTS = (True, True, False, False, True, False, True)
# First-round pairs by seed (0-based), ordered so neighbours meet in the second round.
_FIRST_ROUND = ((0, 7), (3, 4), (2, 5), (1, 6))


@dataclass(frozen=True)
class Schedule:
    """One season's games, sorted like their game ids (date, away tricode, home tricode)."""

    season_year: int
    game_date: np.ndarray
    home: np.ndarray
    away: np.ndarray
    kind: np.ndarray
    home_wins: np.ndarray
    overtimes: np.ndarray

    def __len__(self) -> int:
        return len(self.home)


@dataclass(frozen=True)
class _Game:
    day: date
    home: int
    away: int
    kind: GameKind
    home_wins: bool


def _matchups(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The 1,230 (home, away) pairs of the NBA formula: 82 games, 41 at home, per team.

    Division rivals 4 times (2 + 2); in-conference teams of the other divisions 4
    times (6 teams) or 3 times (4 teams, two of them with the extra game at home);
    the other conference twice (1 + 1). Positions inside divisions are shuffled so
    the 3-game opponents change every season.
    """
    index = {team: i for i, team in enumerate(TEAMS)}
    divisions = [rng.permutation([index[team] for team in division]) for division in DIVISIONS]
    pairs: list[tuple[int, int]] = []

    def add(home: int, away: int, games: int) -> None:
        pairs.extend([(home, away)] * games)

    for division in divisions:
        for a, b in combinations(division, 2):
            add(a, b, 2)
            add(b, a, 2)
    for first in (0, DIVISIONS_PER_CONFERENCE):
        conference = divisions[first : first + DIVISIONS_PER_CONFERENCE]
        for div_a, div_b in combinations(conference, 2):
            for i, team_a in enumerate(div_a):
                for j, team_b in enumerate(div_b):
                    offset = (j - i) % len(div_b)
                    add(team_a, team_b, 1 if offset == 1 else 2)
                    add(team_b, team_a, 1 if offset == 0 else 2)
    east = np.concatenate(divisions[:DIVISIONS_PER_CONFERENCE])
    west = np.concatenate(divisions[DIVISIONS_PER_CONFERENCE:])
    for team_a in east:
        for team_b in west:
            add(team_a, team_b, 1)
            add(team_b, team_a, 1)
    home, away = np.array(pairs).T
    order = rng.permutation(len(home))
    return home[order], away[order]


def _day_targets(
    rng: np.random.Generator, calendar: SeasonCalendar, days: list[date], n_games: int
) -> tuple[np.ndarray, np.ndarray]:
    """How many games each day should hold (summing to ``n_games``), and which days are fixed."""
    fixed = {
        calendar.opener: _OPENING_NIGHT_GAMES,
        calendar.christmas: _CHRISTMAS_GAMES,
        calendar.regular_season_end: _MAX_GAMES_PER_DAY,
    }
    locked = np.array([day in fixed for day in days])
    weights = np.array([_WEEKDAY_WEIGHT[day.weekday()] for day in days])
    weights *= np.exp(rng.normal(0.0, _DAY_NOISE, len(days))) * ~locked
    raw = weights / weights.sum() * (n_games - sum(fixed.values()))
    targets = np.minimum(np.floor(raw).astype(np.int64), _MAX_GAMES_PER_DAY)
    short = n_games - sum(fixed.values()) - int(targets.sum())
    room = np.where(locked | (targets >= _MAX_GAMES_PER_DAY), -np.inf, raw - targets)
    targets[np.argsort(-room, kind="stable")[:short]] += 1
    for i, day in enumerate(days):
        targets[i] = fixed.get(day, targets[i])
    return targets, locked


def _full_slate(rng: np.random.Generator, home: np.ndarray, away: np.ndarray) -> np.ndarray:
    """Games in which every team plays exactly once (the last day of the season)."""
    for _ in range(100):
        busy = np.zeros(N_TEAMS, dtype=bool)
        chosen = []
        for game in rng.permutation(len(home)):
            if not (busy[home[game]] or busy[away[game]]):
                busy[home[game]] = busy[away[game]] = True
                chosen.append(game)
        if busy.all():
            return np.array(chosen)
    raise RuntimeError("no full slate found among the matchups")


def _tired(plays: np.ndarray, day: int) -> np.ndarray:
    """Teams for which a game on ``day`` would make three days in a row.

    ``plays`` is (team, day + 2): two padding columns on each side.
    """
    before2, before, after, after2 = (plays[:, day + 2 + k] for k in (-2, -1, 1, 2))
    return (before2 & before) | (before & after) | (after & after2)


def _assign_days(
    rng: np.random.Generator,
    home: np.ndarray,
    away: np.ndarray,
    targets: np.ndarray,
    locked: np.ndarray,
) -> np.ndarray:
    """The day index of every game: no team twice a day, and rarely three days in a row.

    The last day gets a full slate first. Then, day by day, the games of the teams
    furthest behind their pace go first; the few games left at the end take the
    free day furthest below its target (never a fixed day).
    """
    n_days = len(targets)
    plays = np.zeros((N_TEAMS, n_days + 4), dtype=bool)  # column d + 2 is day d
    day_of = np.full(len(home), -1)
    last_day = _full_slate(rng, home, away)
    day_of[last_day] = n_days - 1
    plays[:, n_days + 1] = True
    left = np.bincount(home[day_of < 0], minlength=N_TEAMS)
    left += np.bincount(away[day_of < 0], minlength=N_TEAMS)
    for day in range(n_days - 1):
        tired = _tired(plays, day)
        open_games = np.flatnonzero((day_of < 0) & ~tired[home] & ~tired[away])
        urgency = left / (n_days - 1 - day) - 0.25 * plays[:, day + 1]
        score = urgency[home[open_games]] + urgency[away[open_games]]
        score += 0.3 * rng.random(len(open_games))
        busy = plays[:, day + 2]
        placed = 0
        for game in open_games[np.argsort(-score, kind="stable")]:
            if placed == targets[day]:
                break
            h, a = home[game], away[game]
            if busy[h] or busy[a]:
                continue
            busy[h] = busy[a] = True
            day_of[game] = day
            left[h] -= 1
            left[a] -= 1
            placed += 1
    counts = np.bincount(day_of[day_of >= 0], minlength=n_days)
    for game in np.flatnonzero(day_of < 0):
        h, a = home[game], away[game]
        free = ~plays[h, 2:-2] & ~plays[a, 2:-2] & (counts < _MAX_GAMES_PER_DAY) & ~locked
        if not free.any():
            raise RuntimeError("cannot place a regular-season game; the calendar is too short")
        rested = np.array([not _tired(plays, d)[[h, a]].any() for d in range(n_days)])
        room = np.where(free, targets - counts + 100 * rested, -np.inf)
        day = int(np.argmax(room))
        plays[[h, a], day + 2] = True
        day_of[game] = day
        counts[day] += 1
    return day_of


@dataclass(frozen=True)
class _Outcomes:
    """Designated winners: P(home wins) = logistic(scale * (strength gap) + home edge)."""

    rng: np.random.Generator
    strength: np.ndarray

    def home_win_probability(self, home: np.ndarray, away: np.ndarray) -> np.ndarray:
        gap = self.strength[home] - self.strength[away]
        return 1.0 / (1.0 + np.exp(-(_STRENGTH_SCALE * gap + _HOME_EDGE)))

    def play(self, home: int, away: int) -> bool:
        probability = self.home_win_probability(np.array([home]), np.array([away]))[0]
        return bool(self.rng.random() < probability)


def _series(
    outcomes: _Outcomes,
    high: int,
    low: int,
    start: date,
    gaps: tuple[tuple[int, ...], tuple[float, ...]],
) -> tuple[list[_Game], int, date]:
    """A best-of-7 series: its games, its winner and the date of its last game."""
    games: list[_Game] = []
    wins = {high: 0, low: 0}
    day = start
    while max(wins.values()) < 4:
        home, away = (high, low) if _HIGHER_SEED_HOSTS[len(games)] else (low, high)
        home_wins = outcomes.play(home, away)
        games.append(_Game(day, home, away, GameKind.PLAYOFFS, home_wins))
        wins[home if home_wins else away] += 1
        day += timedelta(days=int(outcomes.rng.choice(gaps[0], p=gaps[1])))
    winner = high if wins[high] == 4 else low
    return games, winner, games[-1].day


def _conference_seeds(conference: int, wins: np.ndarray, strength: np.ndarray) -> list[int]:
    """Teams of a conference by record; ties go to the stronger team."""
    index = {team: i for i, team in enumerate(TEAMS)}
    first = DIVISIONS_PER_CONFERENCE * conference
    divisions = DIVISIONS[first : first + DIVISIONS_PER_CONFERENCE]
    teams = [index[team] for division in divisions for team in division]
    return sorted(teams, key=lambda t: (-wins[t], -strength[t], t))


def _play_in(
    calendar: SeasonCalendar, outcomes: _Outcomes, conference: int, seeds: list[int]
) -> tuple[list[_Game], list[int]]:
    """Seeds 7-10 play for seeds 7 and 8: 7v8 and 9v10, then the 7v8 loser hosts the 9v10 winner."""
    first_day = calendar.play_in_days()[conference]
    last_day = calendar.play_in_days()[2]
    seven_eight = outcomes.play(seeds[6], seeds[7])
    nine_ten = outcomes.play(seeds[8], seeds[9])
    seventh, loser = (seeds[6], seeds[7]) if seven_eight else (seeds[7], seeds[6])
    challenger = seeds[8] if nine_ten else seeds[9]
    last_chance = outcomes.play(loser, challenger)
    games = [
        _Game(first_day, seeds[6], seeds[7], GameKind.PLAY_IN, seven_eight),
        _Game(first_day, seeds[8], seeds[9], GameKind.PLAY_IN, nine_ten),
        _Game(last_day, loser, challenger, GameKind.PLAY_IN, last_chance),
    ]
    return games, [*seeds[:6], seventh, loser if last_chance else challenger]


def _conference_playoffs(
    calendar: SeasonCalendar,
    outcomes: _Outcomes,
    conference: int,
    bracket: list[int],
) -> tuple[list[_Game], int, date]:
    """Three rounds of one conference; the next round starts when both feeders are done."""
    games: list[_Game] = []
    alive: list[int] = []
    ends: list[date] = []
    for slot, (a, b) in enumerate(_FIRST_ROUND):
        start = calendar.playoffs_start() + timedelta(days=(slot + conference) % 2)
        series, winner, end = _series(outcomes, bracket[a], bracket[b], start, _SERIES_GAPS)
        games.extend(series)
        alive.append(winner)
        ends.append(end)
    while len(alive) > 1:
        next_alive: list[int] = []
        next_ends: list[date] = []
        for i in range(0, len(alive), 2):
            high, low = sorted(alive[i : i + 2], key=bracket.index)
            start = max(ends[i], ends[i + 1]) + timedelta(days=_REST_BEFORE_NEXT_ROUND)
            series, winner, end = _series(outcomes, high, low, start, _SERIES_GAPS)
            games.extend(series)
            next_alive.append(winner)
            next_ends.append(end)
        alive, ends = next_alive, next_ends
    return games, alive[0], ends[0]


def _postseason(calendar: SeasonCalendar, outcomes: _Outcomes, wins: np.ndarray) -> list[_Game]:
    """The play-in, three conference rounds and the Finals."""
    games: list[_Game] = []
    champions: list[int] = []
    last_days: list[date] = []
    for conference in range(2):
        play_in, bracket = _play_in(
            calendar, outcomes, conference, _conference_seeds(conference, wins, outcomes.strength)
        )
        playoffs, champion, last_day = _conference_playoffs(calendar, outcomes, conference, bracket)
        games.extend(play_in + playoffs)
        champions.append(champion)
        last_days.append(last_day)
    start = max(calendar.finals_start, max(last_days) + timedelta(days=_REST_BEFORE_FINALS))
    high, low = sorted(champions, key=lambda t: (-wins[t], -outcomes.strength[t], t))
    finals, _, _ = _series(outcomes, high, low, start, _FINALS_GAPS)
    return games + finals


def season_schedule(seed: int, season: int) -> Schedule:
    """Every game of a season with its outcome; a pure function of (seed, season)."""
    rng = stream(seed, season, Stream.SCHEDULE)
    calendar = season_calendar(season)
    strength = rng.normal(0.0, 1.0, N_TEAMS)
    outcomes = _Outcomes(rng, strength)

    home, away = _matchups(rng)
    days = calendar.regular_season_days()
    targets, locked = _day_targets(rng, calendar, days, len(home))
    day_of = _assign_days(rng, home, away, targets, locked)
    home_wins = rng.random(len(home)) < outcomes.home_win_probability(home, away)
    regular = [
        _Game(days[d], int(h), int(a), GameKind.REGULAR, bool(w))
        for d, h, a, w in zip(day_of, home, away, home_wins, strict=True)
    ]
    wins = np.bincount(np.where(home_wins, home, away), minlength=N_TEAMS)
    games = sorted(
        regular + _postseason(calendar, outcomes, wins),
        key=lambda g: (g.day, g.away, g.home),
    )
    overtime = rng.random(len(games)) < _OVERTIME_RATE
    extra = rng.random(len(games))
    overtimes = overtime * (1 + (extra < _DOUBLE_OVERTIME_RATE) + (extra < _TRIPLE_OVERTIME_RATE))
    return Schedule(
        season_year=season,
        game_date=np.array([g.day for g in games], dtype="datetime64[D]"),
        home=np.array([g.home for g in games], dtype=np.int64),
        away=np.array([g.away for g in games], dtype=np.int64),
        kind=np.array([g.kind for g in games], dtype=np.int8),
        home_wins=np.array([g.home_wins for g in games], dtype=bool),
        overtimes=overtimes.astype(np.int64),
    )
