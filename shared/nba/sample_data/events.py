"""A season's plays, drawn event by event; the box score is their sum.

Drawing the shots, free throws, assists, blocks, rebounds, steals, turnovers and
fouls first and counting them afterwards makes the gamebook and the play-by-play
agree by construction: a player's field-goal attempts are his shot events, his
assists the shots he is credited with, and so on. Everything is vectorised over
all games of a season at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shared.nba.sample_data.availability import team_seconds
from shared.nba.sample_data.league import ROSTER_SIZE
from shared.nba.sample_data.players import Traits
from shared.nba.sample_data.sampling import repeat_rows, segment_starts, spread
from shared.nba.sample_data.shots import (
    KIND,
    SHOT_KINDS,
    SeasonPlay,
    Shots,
    draw_shots,
    settle_results,
)

# Team rates per 48 minutes, league averages 2021-24 (basketball-reference): ~22 FTA (two-
# shot trips, a few three-shot trips, and-ones), ~14 turnovers, ~19.5 fouls.
TEAM_TWO_SHOT_TRIPS = 9.6
TEAM_THREE_SHOT_TRIPS = 0.35
TEAM_TURNOVERS = 13.8
TEAM_FOULS = 19.5
MAX_FOULS = 6
# Pace (possessions per game) varies by ~4% from game to game.
_PACE_SIGMA = 0.04
# Misses rebounded by the offence (~23% of missed field goals, ~13% of missed last free
# throws); ~10% of misses are team rebounds without a player.
_OFFENSIVE_REBOUND_FG = 0.23
_OFFENSIVE_REBOUND_FT = 0.13
_TEAM_REBOUND = 0.10
# ~53% of turnovers are steals (7.5 steals per 14 turnovers).
_STEAL_SHARE = 0.53
# plus-minus noise around the player's share of the margin: ~4 points over 36 minutes.
_PLUS_MINUS_SIGMA = 4.0
# Four 12-minute periods, 5-minute overtimes.
_PERIODS = 4
_PERIOD_SECONDS = 12 * 60
_OVERTIME_PERIOD_SECONDS = 5 * 60
# Sort position of a rebound after its miss (shot 0, free throws 1-3).
_REBOUND_ORDER = 4

EVENT_TYPES = ("shot", "free throw", "rebound", "turnover", "foul")
SHOT, FREE_THROW, REBOUND, TURNOVER, FOUL = range(len(EVENT_TYPES))
ROLES = ("assist", "block", "steal")
ASSIST, BLOCK, STEAL = range(len(ROLES))
SHOT_TYPES = ("2PT", "3PT", "FT")
_FREE_THROWS = (
    "free throw 1/1",
    "free throw 1/2",
    "free throw 2/2",
    "free throw 1/3",
    "free throw 2/3",
    "free throw 3/3",
)
_FIRST_FREE_THROW = np.array([-1, 0, 1, 3])  # index in _FREE_THROWS of "1/n", by trip size
_REBOUNDS = ("offensive", "defensive")
_STOLEN = (("bad pass", "lost ball"), (0.55, 0.45))
_OTHER_TURNOVERS = (
    (
        "traveling",
        "offensive foul",
        "out of bounds lost ball",
        "step out of bounds",
        "3 second violation",
    ),
    (0.30, 0.30, 0.20, 0.12, 0.08),
)
_FOULS = (("personal", "shooting", "loose ball", "personal take"), (0.45, 0.40, 0.10, 0.05))
SUBTYPES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [k.subtype for k in SHOT_KINDS]
        + list(_FREE_THROWS)
        + list(_REBOUNDS)
        + list(_STOLEN[0])
        + list(_OTHER_TURNOVERS[0])
        + list(_FOULS[0])
    )
)
_SUBTYPE_CODE = {name: code for code, name in enumerate(SUBTYPES)}


def _code(names: tuple[str, ...]) -> np.ndarray:
    return np.array([_SUBTYPE_CODE[name] for name in names])


_KIND_SUBTYPE = _code(tuple(kind.subtype for kind in SHOT_KINDS))
_OFFENSIVE, _DEFENSIVE = _code(_REBOUNDS)


@dataclass(frozen=True)
class Box:
    """Box-score counts per (team-game, slot); zero where the player did not play."""

    points: np.ndarray
    field_goals_made: np.ndarray
    field_goals_attempted: np.ndarray
    three_pointers_made: np.ndarray
    three_pointers_attempted: np.ndarray
    free_throws_made: np.ndarray
    free_throws_attempted: np.ndarray
    offensive_rebounds: np.ndarray
    defensive_rebounds: np.ndarray
    assists: np.ndarray
    steals: np.ndarray
    blocks: np.ndarray
    turnovers: np.ndarray
    personal_fouls: np.ndarray
    plus_minus: np.ndarray


@dataclass(frozen=True)
class Events:
    """Play-by-play in game order; players are flat (team-game * ROSTER_SIZE + slot) indices.

    Codes index EVENT_TYPES, SUBTYPES, ROLES and SHOT_TYPES; -1 (NaN for floats)
    stands for NULL.
    """

    game: np.ndarray
    sequence: np.ndarray
    play_id: np.ndarray
    period: np.ndarray
    clock: np.ndarray
    event_type: np.ndarray
    subtype: np.ndarray
    player_1: np.ndarray
    player_2: np.ndarray
    role: np.ndarray
    made: np.ndarray
    shot_type: np.ndarray
    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    points: np.ndarray

    def take(self, index: np.ndarray) -> Events:
        return Events(**{name: values[index] for name, values in vars(self).items()})


@dataclass(frozen=True)
class _Trips:
    """Free-throw trips: shooter, size (1-3), elapsed time and the play they belong to."""

    row: np.ndarray
    size: np.ndarray
    time: np.ndarray
    anchor: np.ndarray


@dataclass(frozen=True)
class _FreeThrows:
    row: np.ndarray
    trip: np.ndarray
    index: np.ndarray
    subtype: np.ndarray
    made: np.ndarray
    last: np.ndarray


@dataclass(frozen=True)
class _Part:
    """Events of one type before ordering; ``anchor`` ties follow-ups to their play and
    ``order`` places them after it (shot 0, free throws 1-3, rebound 4)."""

    game: np.ndarray
    time: np.ndarray
    anchor: np.ndarray
    order: np.ndarray
    event_type: int
    subtype: np.ndarray
    player_1: np.ndarray
    player_2: np.ndarray | None = None
    role: np.ndarray | None = None
    made: np.ndarray | None = None
    shot_type: np.ndarray | None = None
    distance: np.ndarray | None = None
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    points: np.ndarray | None = None


def _trips(season: SeasonPlay, shots: Shots) -> _Trips:
    """Two- and three-shot trips per player, plus an and-one at the time of some made shots."""
    rng, minutes, traits = season.rng, season.minutes, season.traits
    two = spread(rng, TEAM_TWO_SHOT_TRIPS * season.volume, minutes * traits.fouls_drawn)
    three = spread(rng, TEAM_THREE_SHOT_TRIPS * season.volume, minutes * traits.three_share)
    own = np.concatenate([repeat_rows(two), repeat_rows(three)])
    and_one = np.flatnonzero(shots.and_one)
    return _Trips(
        row=np.concatenate([own, shots.row[and_one]]),
        size=np.concatenate(
            [np.full(two.sum(), 2), np.full(three.sum(), 3), np.ones(len(and_one), np.int64)]
        ),
        time=np.concatenate([season.times(own), shots.time[and_one]]),
        anchor=np.concatenate([len(shots.row) + np.arange(len(own)), and_one]),
    )


def _free_throws(rng: np.random.Generator, trips: _Trips, ft_pct: np.ndarray) -> _FreeThrows:
    """The free throws of each trip: "free throw 1/2", "free throw 2/2", ..."""
    trip = np.repeat(np.arange(len(trips.row)), trips.size)
    index = np.arange(len(trip)) - (np.cumsum(trips.size) - trips.size)[trip]
    shooter = trips.row[trip]
    return _FreeThrows(
        row=shooter,
        trip=trip,
        index=index,
        subtype=_code(_FREE_THROWS)[_FIRST_FREE_THROW[trips.size[trip]] + index],
        made=rng.random(len(trip)) < ft_pct.ravel()[shooter],
        last=index == trips.size[trip] - 1,
    )


def _shot_part(season: SeasonPlay, shots: Shots) -> _Part:
    """Shots, with the assist (a teammate) or the block (an opponent) as player 2."""
    rng, traits = season.rng, season.traits
    team_game = shots.row // ROSTER_SIZE
    assisted = shots.made & (rng.random(len(shots.row)) < KIND["assisted"][shots.kind])
    player_2 = np.full(len(shots.row), -1)
    role = np.full(len(shots.row), -1)
    player_2[assisted] = season.pick(
        team_game[assisted], traits.assist, exclude=shots.row[assisted] % ROSTER_SIZE
    )
    role[assisted] = ASSIST
    player_2[shots.blocked] = season.pick(team_game[shots.blocked] ^ 1, traits.block)
    role[shots.blocked] = BLOCK
    return _Part(
        game=team_game // 2,
        time=shots.time,
        anchor=np.arange(len(shots.row)),
        order=np.zeros(len(shots.row), np.int64),
        event_type=SHOT,
        subtype=_KIND_SUBTYPE[shots.kind],
        player_1=shots.row,
        player_2=player_2,
        role=role,
        made=shots.made.astype(np.int64),
        shot_type=shots.three.astype(np.int64),
        distance=shots.distance,
        x=shots.x,
        y=shots.y,
        points=np.where(shots.three, 3, 2) * shots.made,
    )


def _free_throw_part(free_throws: _FreeThrows, trips: _Trips) -> _Part:
    made = free_throws.made.astype(np.int64)
    return _Part(
        game=free_throws.row // ROSTER_SIZE // 2,
        time=trips.time[free_throws.trip],
        anchor=trips.anchor[free_throws.trip],
        order=1 + free_throws.index,
        event_type=FREE_THROW,
        subtype=free_throws.subtype,
        player_1=free_throws.row,
        made=made,
        shot_type=np.full(len(made), SHOT_TYPES.index("FT")),
        points=made,
    )


def _rebound_part(
    season: SeasonPlay, shots: Shots, free_throws: _FreeThrows, trips: _Trips
) -> _Part:
    """A player rebound right after each missed shot or missed last free throw, except
    the team rebounds; offensive ones go to the shooter's team."""
    rng, traits = season.rng, season.traits
    missed_shots = np.flatnonzero(~shots.made)
    missed_free_throws = np.flatnonzero(~free_throws.made & free_throws.last)
    trip = free_throws.trip[missed_free_throws]
    row = np.concatenate([shots.row[missed_shots], free_throws.row[missed_free_throws]])
    from_line = np.arange(len(row)) >= len(missed_shots)
    draw = rng.random(len(row))
    offensive = draw < np.where(from_line, _OFFENSIVE_REBOUND_FT, _OFFENSIVE_REBOUND_FG)
    kept = draw < 1.0 - _TEAM_REBOUND
    team_game = row[kept] // ROSTER_SIZE
    offensive = offensive[kept]
    rebounder = np.empty(len(team_game), np.int64)
    rebounder[offensive] = season.pick(team_game[offensive], traits.off_rebound)
    rebounder[~offensive] = season.pick(team_game[~offensive] ^ 1, traits.def_rebound)
    return _Part(
        game=team_game // 2,
        time=np.concatenate([shots.time[missed_shots], trips.time[trip]])[kept],
        anchor=np.concatenate([missed_shots, trips.anchor[trip]])[kept],
        order=np.full(len(team_game), _REBOUND_ORDER),
        event_type=REBOUND,
        subtype=np.where(offensive, _OFFENSIVE, _DEFENSIVE),
        player_1=rebounder,
    )


def _draw_subtypes(
    rng: np.random.Generator, choices: tuple[tuple[str, ...], tuple[float, ...]], n: int
) -> np.ndarray:
    """Subtype codes drawn from (labels, probabilities)."""
    return _code(choices[0])[rng.choice(len(choices[0]), size=n, p=choices[1])]


def _turnover_part(season: SeasonPlay, first_anchor: int) -> _Part:
    """Turnovers per player; about half are steals credited to an opponent."""
    rng = season.rng
    counts = spread(rng, TEAM_TURNOVERS * season.volume, season.minutes * season.traits.turnover)
    row = repeat_rows(counts)
    stolen = rng.random(len(row)) < _STEAL_SHARE
    stealer = np.full(len(row), -1)
    stealer[stolen] = season.pick(row[stolen] // ROSTER_SIZE ^ 1, season.traits.steal)
    subtype = np.where(
        stolen,
        _draw_subtypes(rng, _STOLEN, len(row)),
        _draw_subtypes(rng, _OTHER_TURNOVERS, len(row)),
    )
    return _Part(
        game=row // ROSTER_SIZE // 2,
        time=season.times(row),
        anchor=first_anchor + np.arange(len(row)),
        order=np.zeros(len(row), np.int64),
        event_type=TURNOVER,
        subtype=subtype,
        player_1=row,
        player_2=stealer,
        role=np.where(stolen, STEAL, -1),
    )


def _foul_part(season: SeasonPlay, first_anchor: int) -> _Part:
    """Personal fouls per player, at most six (a player fouls out on his sixth)."""
    counts = spread(season.rng, TEAM_FOULS * season.volume, season.minutes * season.traits.foul)
    row = repeat_rows(np.minimum(counts, MAX_FOULS))
    return _Part(
        game=row // ROSTER_SIZE // 2,
        time=season.times(row),
        anchor=first_anchor + np.arange(len(row)),
        order=np.zeros(len(row), np.int64),
        event_type=FOUL,
        subtype=_draw_subtypes(season.rng, _FOULS, len(row)),
        player_1=row,
    )


def _period_clock(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Period (1-4, 5+ for overtimes) and seconds left on its clock, of an elapsed time.

    Example: 750 s elapsed is period 2 with 12:00 - 0:30 - 1 s = 689 s ("11:29") left.
    """
    regulation_end = _PERIODS * _PERIOD_SECONDS
    regulation = time < regulation_end
    overtime = (time - regulation_end) // _OVERTIME_PERIOD_SECONDS
    period = np.where(regulation, time // _PERIOD_SECONDS + 1, _PERIODS + 1 + overtime)
    start = np.where(
        regulation,
        (period - 1) * _PERIOD_SECONDS,
        regulation_end + overtime * _OVERTIME_PERIOD_SECONDS,
    )
    length = np.where(regulation, _PERIOD_SECONDS, _OVERTIME_PERIOD_SECONDS)
    return period, length - 1 - (time - start)


def _timeline(rng: np.random.Generator, parts: list[_Part]) -> Events:
    """All events of the season in game order, numbered per game, with period and clock.

    ``play_id`` grows by 1-3 per event, like feeds that number events we do not keep
    (substitutions, timeouts).
    """

    def column(name: str, fill: float = -1) -> np.ndarray:
        arrays = []
        for part in parts:
            values = getattr(part, name)
            if isinstance(values, int):
                values = np.full(len(part.game), values)
            arrays.append(np.full(len(part.game), fill) if values is None else values)
        return np.concatenate(arrays)

    game, time = column("game"), column("time")
    ordered = np.lexsort((column("order"), column("anchor"), time, game))
    game, time = game[ordered], time[ordered]
    first = segment_starts(game)
    steps = rng.integers(1, 4, len(game))
    play_id = np.cumsum(steps)
    play_id -= play_id[first] - steps[first]
    period, clock = _period_clock(time)
    return Events(
        game=game,
        sequence=np.arange(len(game)) - first + 1,
        play_id=play_id,
        period=period,
        clock=clock,
        **{
            name: column(name, np.nan if name in ("distance", "x", "y") else -1)[ordered]
            for name in (
                "event_type",
                "subtype",
                "player_1",
                "player_2",
                "role",
                "made",
                "shot_type",
                "distance",
                "x",
                "y",
                "points",
            )
        },
    )


def _plus_minus(rng: np.random.Generator, points: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Each player's share of 5 x the team margin plus zero-sum noise; a team's players sum
    to exactly 5 x its margin, so the sign always matches the result."""
    team_points = points.sum(axis=1)
    margin = team_points - team_points.reshape(-1, 2)[:, ::-1].ravel()
    share = seconds / seconds.sum(axis=1, keepdims=True)
    noise = rng.normal(0.0, _PLUS_MINUS_SIGMA, seconds.shape) * np.sqrt(seconds / (36 * 60))
    noise -= share * noise.sum(axis=1, keepdims=True)
    plus_minus = np.rint(5 * margin[:, None] * share + noise).astype(np.int64) * (seconds > 0)
    top = np.argmax(seconds, axis=1)
    plus_minus[np.arange(len(seconds)), top] += 5 * margin - plus_minus.sum(axis=1)
    return plus_minus


def _box(rng: np.random.Generator, events: Events, seconds: np.ndarray) -> Box:
    """The box score: each player's events counted (plus-minus from the margins)."""

    def count(mask: np.ndarray, who: np.ndarray = events.player_1) -> np.ndarray:
        return np.bincount(who[mask], minlength=seconds.size).reshape(seconds.shape)

    shot = events.event_type == SHOT
    free_throw = events.event_type == FREE_THROW
    rebound = events.event_type == REBOUND
    made = events.made == 1
    three = events.shot_type == SHOT_TYPES.index("3PT")
    field_goals_made = count(shot & made)
    three_pointers_made = count(shot & three & made)
    free_throws_made = count(free_throw & made)
    points = 2 * (field_goals_made - three_pointers_made) + 3 * three_pointers_made
    points += free_throws_made
    return Box(
        points=points,
        field_goals_made=field_goals_made,
        field_goals_attempted=count(shot),
        three_pointers_made=three_pointers_made,
        three_pointers_attempted=count(shot & three),
        free_throws_made=free_throws_made,
        free_throws_attempted=count(free_throw),
        offensive_rebounds=count(rebound & (events.subtype == _OFFENSIVE)),
        defensive_rebounds=count(rebound & (events.subtype == _DEFENSIVE)),
        assists=count(events.role == ASSIST, events.player_2),
        steals=count(events.role == STEAL, events.player_2),
        blocks=count(events.role == BLOCK, events.player_2),
        turnovers=count(events.event_type == TURNOVER),
        personal_fouls=count(events.event_type == FOUL),
        plus_minus=_plus_minus(rng, points, seconds),
    )


def simulate(
    rng: np.random.Generator,
    seconds: np.ndarray,
    traits: Traits,
    home_wins: np.ndarray,
    overtimes: np.ndarray,
) -> tuple[Box, Events]:
    """Play-by-play and box scores of a season's games.

    ``seconds`` and ``traits`` are per (team-game, slot); the designated winner of
    each game outscores the loser.
    """
    length = np.repeat(team_seconds(overtimes) / team_seconds(np.zeros(1, np.int64)), 2)
    pace = np.repeat(rng.normal(1.0, _PACE_SIGMA, len(home_wins)), 2)
    season = SeasonPlay(
        rng=rng,
        minutes=seconds / 60.0,
        traits=traits,
        game_seconds=_PERIODS * _PERIOD_SECONDS + _OVERTIME_PERIOD_SECONDS * overtimes,
        volume=pace * length,
    )
    won = np.stack([~home_wins, home_wins], axis=1).ravel()
    shots = draw_shots(season, won)
    trips = _trips(season, shots)
    free_throws = _free_throws(rng, trips, traits.ft_pct)
    free_throw_points = np.bincount(
        free_throws.row // ROSTER_SIZE, weights=free_throws.made, minlength=len(won)
    ).astype(np.int64)
    settle_results(rng, shots, free_throw_points, home_wins, overtimes)

    turnovers_from = len(shots.row) + len(trips.row)
    turnovers = _turnover_part(season, turnovers_from)
    events = _timeline(
        rng,
        [
            _shot_part(season, shots),
            _free_throw_part(free_throws, trips),
            _rebound_part(season, shots, free_throws, trips),
            turnovers,
            _foul_part(season, turnovers_from + len(turnovers.game)),
        ],
    )
    return _box(rng, events, seconds), events
