"""The league's players: one pool per seed, season rosters that evolve from it.

A player keeps his name, lookup, id and playing style for his whole career; each
season about a fifth of the league changes teams and the retired are replaced by
newcomers, so rolling per-player features span seasons as they do in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np

from shared.nba.sample_data.calendar import FIRST_SEASON
from shared.nba.sample_data.league import N_TEAMS, ROSTER_SIZE
from shared.nba.sample_data.sampling import Stream, stream

GUARD, FORWARD, CENTER = 0, 1, 2
# Share of guards, forwards and centers among NBA roster spots (positions listed on NBA.com).
_POSITION_SHARES = (0.42, 0.38, 0.20)
POOL_SIZE = 1000
# Yearly roster churn: ~11% of players leave the league (about a draft class of 60),
# ~22% change teams by trade or free agency.
_RETIRE_RATE = 0.11
_MOVE_RATE = 0.22
# Real NBA player ids of the 2015-2024 draft classes run from 1626000 to 1642999.
_ID_RANGE = (1_626_000, 1_643_000)

_FIRST_NAMES = (
    "Aaron Adam Alec Alex Andre Anthony Austin Ben Blake Bobby Bradley Brandon Brook Bruce "
    "Bryce Caleb Cam Cameron Chris Christian Cody Cole Collin Corey Dalen Damian Daniel Darius "
    "David Dean Dennis Derrick Devin Dillon Donovan Dorian Drew Dylan Eric Evan Franz Gabe Gary "
    "Gordon Grant Isaiah Ivan Jabari Jacob Jaden Jake Jalen Jamal James Jared Jaren Jarrett "
    "Javon Jaylen Jeff Jerami Jordan Josh Josiah Julian Justin Keegan Keith Kelly Kevin Killian "
    "Kris Kyle Lamar Landry Lonnie Luke Malik Marcus Mark Mason Max Michael Miles Mitchell Moses "
    "Nate Nick Noah Obi Omari Patrick Paul Quentin Reggie Ricky Robert Royce Russell Ryan Sam "
    "Scottie Seth Spencer Terance Terry Theo Tre Trey Tyler Tyrese Walker Wendell Xavier Zach "
    "Zion D'Angelo De'Aaron Ja'Kobe De'Anthony Day'Ron Jae'Sean P.J. T.J. C.J. A.J. O.G. R.J."
).split()
_LAST_NAMES = (
    "Adams Allen Anderson Bailey Baker Banks Barnes Bell Bennett Brooks Brown Bryant Butler "
    "Campbell Carter Clark Coleman Collins Cook Cooper Cox Craig Daniels Davis Dixon Duncan "
    "Edwards Ellis Evans Fisher Fleming Ford Foster Fox Freeman Gardner Gibson Gordon Graham "
    "Grant Gray Green Griffin Hall Hamilton Harris Hart Hayes Henderson Hill Holiday Holmes "
    "Howard Hughes Hunter Jackson James Jenkins Johnson Jones Jordan Kelly Kennedy King Knight "
    "Lewis Lopez Lowry Marshall Martin Mason Matthews Mills Mitchell Moore Morgan Morris Murphy "
    "Murray Nelson Newton Oliver Owens Parker Patterson Payne Perry Peterson Phillips Porter "
    "Powell Price Reed Reid Richardson Roberts Robinson Rogers Ross Russell Sanders Scott "
    "Simmons Smith Spencer Stewart Sullivan Taylor Thomas Thompson Turner Walker Wallace Ward "
    "Warren Washington Watson Webb Wells White Wiggins Williams Wilson Wood Wright Young "
    "O'Connor O'Brien McDaniels McCollum Walker-Brown Gilmore-Hayes Smith-Rowe Okafor Nwora "
    "Antetokoun Valanciunas Bogdanovic Dosunmu Achiuwa"
).split()
_SUFFIXES = (" Jr.", " II", " III", " Sr.")
_SUFFIX_RATE = 0.06
_NOT_LOOKUP = re.compile(r"[^a-z0-9]")


def player_lookup(name: str) -> str:
    """The join key of a name: its lowercase letters and digits.

    Example: "D'Angelo Russell" -> "dangelorussell".
    """
    return _NOT_LOOKUP.sub("", name.lower())


@dataclass(frozen=True)
class Traits:
    """A player's playing style: the rates the game simulation draws from.

    Arrays are per pool player, or per (team-game, slot) after ``take``; the rates
    are relative weights except ``three_share``, ``paint_share`` (shares of his
    shots), ``shooting`` (added to make probabilities) and ``ft_pct``.
    """

    position: np.ndarray
    usage: np.ndarray
    three_share: np.ndarray
    paint_share: np.ndarray
    shooting: np.ndarray
    ft_pct: np.ndarray
    fouls_drawn: np.ndarray
    assist: np.ndarray
    off_rebound: np.ndarray
    def_rebound: np.ndarray
    block: np.ndarray
    steal: np.ndarray
    turnover: np.ndarray
    foul: np.ndarray

    def take(self, index: np.ndarray) -> Traits:
        return Traits(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


@dataclass(frozen=True)
class PlayerPool:
    """Every player a seed can ever roster, indexed 0..POOL_SIZE-1."""

    name: np.ndarray
    lookup: np.ndarray
    player_id: np.ndarray
    talent: np.ndarray
    traits: Traits


def _names(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    names: list[str] = []
    lookups: list[str] = []
    seen: set[str] = set()
    while len(names) < POOL_SIZE:
        name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
        if rng.random() < _SUFFIX_RATE:
            name += str(rng.choice(_SUFFIXES))
        lookup = player_lookup(name)
        if lookup not in seen:
            seen.add(lookup)
            names.append(name)
            lookups.append(lookup)
    return names, lookups


def _by_position(position: np.ndarray, guard: float, forward: float, center: float) -> np.ndarray:
    return np.array([guard, forward, center])[position]


def _traits(rng: np.random.Generator, position: np.ndarray, talent: np.ndarray) -> Traits:
    """Style by position, around league rates (basketball-reference league averages 2021-24)."""
    n = len(position)

    def noise(sigma: float) -> np.ndarray:
        return np.exp(rng.normal(0.0, sigma, n))

    usage = np.exp(0.22 * talent + rng.normal(0.0, 0.2, n))
    three_a = _by_position(position, 8.0, 7.0, 2.0)
    three_b = _by_position(position, 11.0, 12.0, 11.0)
    paint_a = _by_position(position, 7.0, 9.0, 13.0)
    paint_b = _by_position(position, 13.0, 11.0, 6.0)
    ft_mean = _by_position(position, 0.81, 0.77, 0.70)
    return Traits(
        position=position.astype(np.int8),
        usage=usage,
        three_share=rng.beta(three_a, three_b),
        paint_share=rng.beta(paint_a, paint_b),
        shooting=rng.normal(0.0, 0.025, n) + 0.01 * talent,
        ft_pct=np.clip(rng.normal(ft_mean, 0.06), 0.45, 0.95),
        fouls_drawn=usage * _by_position(position, 1.0, 1.0, 1.2) * noise(0.3),
        assist=_by_position(position, 2.6, 1.2, 0.9) * np.exp(0.2 * talent) * noise(0.35),
        off_rebound=_by_position(position, 0.45, 1.0, 2.4) * noise(0.3),
        def_rebound=_by_position(position, 0.65, 1.0, 1.9) * noise(0.25),
        block=_by_position(position, 0.3, 0.9, 2.6) * noise(0.4),
        steal=_by_position(position, 1.2, 1.0, 0.7) * noise(0.3),
        turnover=usage * _by_position(position, 1.15, 0.95, 0.95) * noise(0.2),
        foul=_by_position(position, 0.9, 1.0, 1.3) * noise(0.2),
    )


def player_pool(seed: int) -> PlayerPool:
    """The players of a seed: unique names and lookups, stable 7-digit ids, styles."""
    rng = stream(seed, 0, Stream.POOL)
    names, lookups = _names(rng)
    position = rng.choice(3, size=POOL_SIZE, p=_POSITION_SHARES)
    talent = rng.normal(0.0, 1.0, POOL_SIZE)
    ids = rng.choice(np.arange(*_ID_RANGE), size=POOL_SIZE, replace=False)
    return PlayerPool(
        name=np.array(names, dtype=object),
        lookup=np.array(lookups, dtype=object),
        player_id=ids.astype(np.int64),
        talent=talent,
        traits=_traits(rng, position, talent),
    )


def season_rosters(seed: int, season: int) -> np.ndarray:
    """Pool indices of each team's players, shape (N_TEAMS, ROSTER_SIZE), in depth order.

    Rosters of season s replay the churn of the seasons before it, so they depend on
    (seed, s) only, never on which dates a caller asked for.
    """
    talent = player_pool(seed).talent
    spots = N_TEAMS * ROSTER_SIZE
    rosters = stream(seed, FIRST_SEASON, Stream.ROSTERS).permutation(spots)
    next_newcomer = spots
    for year in range(FIRST_SEASON + 1, season + 1):
        rng = stream(seed, year, Stream.ROSTERS)
        draws = rng.random(spots)
        retire = draws < _RETIRE_RATE
        moved = (draws >= _RETIRE_RATE) & (draws < _RETIRE_RATE + _MOVE_RATE)
        newcomers = np.arange(next_newcomer, next_newcomer + int(retire.sum()))
        next_newcomer += len(newcomers)
        if next_newcomer > POOL_SIZE:
            raise RuntimeError("player pool exhausted; raise POOL_SIZE")
        free_agents = rng.permutation(np.concatenate([rosters[moved], newcomers]))
        rosters = rosters.copy()
        rosters[retire | moved] = free_agents
    teams = rosters.reshape(N_TEAMS, ROSTER_SIZE)
    form = talent[teams] + stream(seed, season, Stream.DEPTH).normal(0.0, 0.35, teams.shape)
    return np.take_along_axis(teams, np.argsort(-form, axis=1, kind="stable"), axis=1)
