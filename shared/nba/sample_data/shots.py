"""Field-goal attempts: what kind, from where, made or not, and the result they add up to.

A season's shots are drawn at once from each player's minutes and style; the
designated winner of each game is then made to win with as few changed shots as
possible, so shooting percentages stay realistic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from shared.nba.sample_data.league import ROSTER_SIZE
from shared.nba.sample_data.players import Traits
from shared.nba.sample_data.sampling import categorical, choose_columns, repeat_rows, segment_starts


class Zone(enum.IntEnum):
    PAINT = 0
    MID_RANGE = 1
    THREE = 2


@dataclass(frozen=True)
class ShotKind:
    """One kind of field goal: where it is taken from and how it tends to end.

    ``low``..``high`` is its distance range in feet, drawn as low + (high - low) *
    Beta(a, b); ``make``, ``assisted`` (of makes), ``blocked`` (of misses) and
    ``and_one`` (of makes) are probabilities.
    """

    subtype: str
    zone: Zone
    low: float
    high: float
    a: float
    b: float
    make: float
    assisted: float
    blocked: float
    and_one: float
    corner: bool = False


# Make and assist rates by shot type follow NBA.com shot dashboards (2021-24): dunks ~90%,
# layups ~62%, mid-range ~42%, corner threes ~39%, above-the-break threes ~36%. Paint
# (<= 8 ft) and mid-range end at 8.0 ft; twos stay under the 23.75 ft arc.
SHOT_KINDS: tuple[ShotKind, ...] = (
    ShotKind("dunk", Zone.PAINT, 0.0, 2.5, 1.0, 1.5, 0.90, 0.85, 0.10, 0.09),
    ShotKind("layup", Zone.PAINT, 0.0, 4.0, 1.2, 1.8, 0.64, 0.70, 0.30, 0.07),
    ShotKind("driving layup", Zone.PAINT, 0.5, 5.5, 1.2, 1.8, 0.61, 0.42, 0.34, 0.09),
    ShotKind("hook shot", Zone.PAINT, 2.0, 8.0, 1.5, 1.5, 0.55, 0.48, 0.30, 0.04),
    ShotKind("floating jump shot", Zone.PAINT, 4.0, 8.0, 1.5, 1.2, 0.48, 0.40, 0.20, 0.03),
    ShotKind("jump shot", Zone.MID_RANGE, 8.1, 23.0, 2.2, 1.6, 0.43, 0.70, 0.06, 0.015),
    ShotKind("pullup jump shot", Zone.MID_RANGE, 8.1, 22.0, 2.0, 2.0, 0.41, 0.20, 0.08, 0.015),
    ShotKind("step back jump shot", Zone.MID_RANGE, 12.0, 22.5, 2.0, 1.5, 0.41, 0.08, 0.06, 0.01),
    ShotKind("fadeaway jump shot", Zone.MID_RANGE, 8.1, 20.0, 2.0, 2.0, 0.42, 0.28, 0.08, 0.015),
    ShotKind("floating jump shot", Zone.MID_RANGE, 8.1, 13.0, 1.2, 2.0, 0.45, 0.32, 0.10, 0.02),
    ShotKind("turnaround hook shot", Zone.MID_RANGE, 8.1, 12.0, 1.2, 2.0, 0.46, 0.32, 0.12, 0.02),
    ShotKind("3pt jump shot", Zone.THREE, 22.0, 23.6, 1.0, 1.0, 0.385, 0.95, 0.02, 0.004, True),
    ShotKind("3pt jump shot", Zone.THREE, 23.8, 30.0, 1.3, 4.0, 0.355, 0.90, 0.03, 0.004),
    ShotKind("3pt pullup jump shot", Zone.THREE, 23.8, 30.0, 1.3, 3.5, 0.335, 0.15, 0.04, 0.004),
    ShotKind("3pt step back jump shot", Zone.THREE, 23.8, 28.5, 1.5, 3.0, 0.34, 0.05, 0.04, 0.004),
    ShotKind("3pt running jump shot", Zone.THREE, 23.8, 28.0, 1.5, 3.0, 0.32, 0.42, 0.04, 0.004),
)
# Kind mix per (zone, position): rows paint G/F/C, mid-range G/F/C, three G/F/C; a quarter
# of threes come from the corners (NBA.com shot locations).
_MIX = np.array(
    [
        [0.06, 0.32, 0.38, 0.02, 0.22] + [0.0] * 11,
        [0.18, 0.34, 0.28, 0.08, 0.12] + [0.0] * 11,
        [0.34, 0.34, 0.08, 0.20, 0.04] + [0.0] * 11,
        [0.0] * 5 + [0.32, 0.32, 0.12, 0.06, 0.16, 0.02] + [0.0] * 5,
        [0.0] * 5 + [0.45, 0.22, 0.06, 0.12, 0.10, 0.05] + [0.0] * 5,
        [0.0] * 5 + [0.50, 0.08, 0.02, 0.12, 0.08, 0.20] + [0.0] * 5,
        [0.0] * 11 + [0.25, 0.41, 0.20, 0.10, 0.04],
        [0.0] * 11 + [0.25, 0.56, 0.11, 0.05, 0.03],
        [0.0] * 11 + [0.25, 0.68, 0.04, 0.02, 0.01],
    ]
)
_POSITIONS = 3
# Deep threes go in less often: -1.2 points of percentage per foot beyond 26 ft.
_DEEP_THREE_FEET = 26.0
_DEEP_THREE_PENALTY = 0.012
# Widest shooting angle from the basket's axis: long twos stay inside the corners.
_MAX_ANGLE = {"three": np.radians(68.0), "long_two": np.radians(60.0), "two": np.radians(85.0)}
_LONG_TWO_FEET = 20.0
_CORNER_X_FEET = 22.0

# Team field-goal attempts per 48 minutes, league average 2021-24 (basketball-reference),
# varying less than a Poisson count: SD ~5 around 88 (with pace).
TEAM_FGA = 88.0
_TEAM_FGA_SIGMA = 4.0
# Winners shoot a little better: +-1.2 points of percentage on every field goal.
_RESULT_EDGE = 0.012
# When the designated winner trails after the draws it is lifted to a lead of
# Geometric(1/4) points (a close game); overtime games end within 3-11 points.
_MARGIN_P = 1.0 / 4.0
_OVERTIME_MARGIN = (3, 12)


def _kind_column(attribute: str) -> np.ndarray:
    return np.array([getattr(kind, attribute) for kind in SHOT_KINDS])


KIND = {
    name: _kind_column(name)
    for name in (
        "zone",
        "low",
        "high",
        "a",
        "b",
        "make",
        "assisted",
        "blocked",
        "and_one",
        "corner",
    )
}


@dataclass(frozen=True)
class SeasonPlay:
    """What every draw of a season needs: who played how long, how, and at what pace.

    Arrays are per (team-game, slot) except ``game_seconds`` (per game) and
    ``volume`` (per team-game: pace x game length, scaling every team count).
    """

    rng: np.random.Generator
    minutes: np.ndarray
    traits: Traits
    game_seconds: np.ndarray
    volume: np.ndarray

    def pick(
        self, team_game: np.ndarray, propensity: np.ndarray, exclude: np.ndarray | None = None
    ) -> np.ndarray:
        """A player of each team-game (flat index), weighted by propensity x minutes."""
        weights = _weights(self.minutes, propensity)[team_game]
        return team_game * ROSTER_SIZE + choose_columns(self.rng, weights, exclude)

    def times(self, rows: np.ndarray) -> np.ndarray:
        """Elapsed whole seconds, uniform over the game of each player row."""
        game_seconds = self.game_seconds[rows // ROSTER_SIZE // 2]
        return (self.rng.random(len(rows)) * game_seconds).astype(np.int64)


def _weights(minutes: np.ndarray, propensity: np.ndarray) -> np.ndarray:
    """Integer draw weights: propensity x minutes, at least 1 for anyone who played."""
    return np.rint(100.0 * propensity * minutes).astype(np.int64) + (minutes > 0)


def _split(rng: np.random.Generator, team_mean: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A team total drawn around ``team_mean`` and split among players by ``weights``."""
    totals = np.maximum(np.rint(rng.normal(team_mean, _TEAM_FGA_SIGMA)), 0).astype(np.int64)
    return rng.multinomial(totals, weights / weights.sum(axis=1, keepdims=True))


def _coordinates(
    rng: np.random.Generator, kind: np.ndarray, distance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shot location in tenths of a foot from the basket (NBA.com LOC_X/LOC_Y convention)."""
    n = len(kind)
    three = KIND["zone"][kind] == Zone.THREE
    max_angle = np.where(
        three,
        _MAX_ANGLE["three"],
        np.where(distance >= _LONG_TWO_FEET, _MAX_ANGLE["long_two"], _MAX_ANGLE["two"]),
    )
    angle = rng.uniform(-1.0, 1.0, n) * max_angle
    x = distance * np.sin(angle)
    y = distance * np.cos(angle)
    side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    corner_x = np.minimum(distance, _CORNER_X_FEET + 0.3 * rng.random(n))
    corner = KIND["corner"][kind]
    x = np.where(corner, side * corner_x, x)
    y = np.where(corner, np.sqrt(np.maximum(distance**2 - corner_x**2, 0.0)), y)
    return np.round(10.0 * x), np.round(10.0 * y)


@dataclass
class Shots:
    """Every field-goal attempt of a season; ``made`` is settled in place by the result."""

    row: np.ndarray
    time: np.ndarray
    kind: np.ndarray
    three: np.ndarray
    made: np.ndarray
    blocked: np.ndarray
    and_one: np.ndarray
    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray


def draw_shots(season: SeasonPlay, won: np.ndarray) -> Shots:
    """Every field-goal attempt: kind, distance, location, time, make, block and and-one.

    ``won`` (per team-game) gives the designated winners their small shooting edge.
    """
    edge = np.where(won, _RESULT_EDGE, -_RESULT_EDGE)
    rng, traits = season.rng, season.traits
    attempts = _split(rng, TEAM_FGA * season.volume, season.minutes * traits.usage)
    threes = rng.binomial(attempts, traits.three_share)
    row = repeat_rows(attempts)
    first = np.cumsum(attempts.ravel()) - attempts.ravel()
    three = np.arange(len(row)) - first[row] < threes.ravel()[row]
    paint = rng.random(len(row)) < traits.paint_share.ravel()[row]
    zone = np.where(three, Zone.THREE, np.where(paint, Zone.PAINT, Zone.MID_RANGE))
    kind = categorical(rng, _MIX[zone * _POSITIONS + traits.position.ravel()[row]])
    low, high = KIND["low"][kind], KIND["high"][kind]
    distance = np.round(low + (high - low) * rng.beta(KIND["a"][kind], KIND["b"][kind]), 1)
    deep = _DEEP_THREE_PENALTY * np.maximum(distance - _DEEP_THREE_FEET, 0.0)
    make = KIND["make"][kind] + traits.shooting.ravel()[row] + edge[row // ROSTER_SIZE] - deep
    made = rng.random(len(row)) < make
    blocked = ~made & (rng.random(len(row)) < KIND["blocked"][kind])
    and_one = made & (rng.random(len(row)) < KIND["and_one"][kind])
    x, y = _coordinates(rng, kind, distance)
    return Shots(row, season.times(row), kind, three, made, blocked, and_one, distance, x, y)


def _flips(
    rng: np.random.Generator,
    candidate: np.ndarray,
    game: np.ndarray,
    value: np.ndarray,
    need: np.ndarray,
) -> np.ndarray:
    """Shots to flip, in random order per game, until each game's flips are worth ``need``.

    Example: need 4 with candidate values [3, 2, 3] flips the first two (3 < 4, 3 + 2 >= 4).
    """
    index = np.flatnonzero(candidate)
    index = index[np.lexsort((rng.random(len(index)), game[index]))]
    groups = game[index]
    before = np.cumsum(value[index]) - value[index]
    before -= before[segment_starts(groups)]
    flip = np.zeros(len(candidate), dtype=bool)
    flip[index[before < need[groups]]] = True
    return flip


def _field_goal_points(n_team_games: int, shots: Shots) -> np.ndarray:
    value = np.where(shots.three, 3, 2) * shots.made
    points = np.bincount(shots.row // ROSTER_SIZE, weights=value, minlength=n_team_games)
    return points.astype(np.int64)


def settle_results(
    rng: np.random.Generator,
    shots: Shots,
    free_throw_points: np.ndarray,
    home_wins: np.ndarray,
    overtimes: np.ndarray,
) -> None:
    """Make the designated winner win by a realistic margin, touching few shots.

    A trailing winner makes half the missing points with misses turned into makes,
    and the loser gives back the rest with makes turned into misses, so shooting
    percentages stay where the draws put them. Overtime games are then brought to
    within a few points the same way, and a last pass rules out ties.
    """
    n_games = len(home_wins)
    winner = 2 * np.arange(n_games) + home_wins
    loser = winner ^ 1
    team_game = shots.row // ROSTER_SIZE
    game = team_game // 2
    value = np.where(shots.three, 3, 2)
    floor = np.where(overtimes > 0, 1, rng.geometric(_MARGIN_P, n_games))
    ceiling = np.where(
        overtimes > 0, rng.integers(*_OVERTIME_MARGIN, n_games), np.iinfo(np.int64).max
    )
    steps = (
        (winner, True, lambda margin: (np.maximum(floor - margin, 0) + 1) // 2),
        (loser, False, lambda margin: np.maximum(floor - margin, 0)),
        (loser, True, lambda margin: (np.maximum(margin - ceiling, 0) + 1) // 2),
        (winner, False, lambda margin: np.maximum(margin - ceiling, 0)),
        (winner, True, lambda margin: np.maximum(1 - margin, 0)),
    )
    for side, scores, need in steps:
        points = _field_goal_points(2 * n_games, shots) + free_throw_points
        margin = points[winner] - points[loser]
        own = team_game == side[game]
        if scores:
            candidate = own & ~shots.made & ~shots.blocked
            shots.made |= _flips(rng, candidate, game, value, need(margin))
        else:
            candidate = own & shots.made & ~shots.and_one
            shots.made &= ~_flips(rng, candidate, game, value, need(margin))
