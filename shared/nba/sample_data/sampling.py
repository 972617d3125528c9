"""Seeded random streams and vectorised draws within a team's roster.

Every per-player array of a season has the shape (team-games, ROSTER_SIZE): row
``2 * game + side`` (side 0 away, 1 home), column = depth-chart slot. Draws that
pick "a teammate" or "an opponent" are therefore draws of a column in one row.
"""

from __future__ import annotations

import enum

import numpy as np


class Stream(enum.IntEnum):
    """Independent streams, so a change in one part leaves the other parts' draws alone."""

    POOL = 1
    ROSTERS = 2
    SCHEDULE = 3
    AVAILABILITY = 4
    PLAY = 5
    SOURCES = 6
    DEPTH = 7


def stream(seed: int, season: int, part: Stream) -> np.random.Generator:
    """The generator of one part of one season: a pure function of (seed, season, part)."""
    return np.random.default_rng(np.random.SeedSequence([seed, season, int(part)]))


def choose_columns(
    rng: np.random.Generator, weights: np.ndarray, exclude: np.ndarray | None = None
) -> np.ndarray:
    """One column per row of ``weights`` (int64), with probability proportional to its weight.

    Integer weights keep the draw exact: a column of weight 0 is never chosen, with
    no floating-point edge at the top of the cumulative sum. ``exclude`` (a column
    per row) removes e.g. the shooter from the candidates for his own assist.
    """
    if exclude is not None:
        weights = weights.copy()
        weights[np.arange(len(weights)), exclude] = 0
    cumulative = np.cumsum(weights, axis=1)
    pick = rng.integers(0, cumulative[:, -1])
    return (cumulative <= pick[:, None]).sum(axis=1)


def categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row of ``probabilities`` (rows sum to 1)."""
    cumulative = np.cumsum(probabilities, axis=1)
    drawn = (cumulative <= rng.random(len(probabilities))[:, None]).sum(axis=1)
    return np.minimum(drawn, probabilities.shape[1] - 1)


def ranks_in_rows(keys: np.ndarray) -> np.ndarray:
    """The rank (0 = smallest) of every element within its row; ties keep column order."""
    order = np.argsort(keys, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(keys.shape[1]), keys.shape), axis=1)
    return ranks


def repeat_rows(counts: np.ndarray) -> np.ndarray:
    """Flat index of each element repeated by its count: [[2, 0], [1, 0]] -> [0, 0, 2]."""
    return np.repeat(np.arange(counts.size), counts.ravel())


def spread(rng: np.random.Generator, team_totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Poisson counts per player whose team expectation is ``team_totals``, split by ``weights``.

    Example: a team expecting 88 shots whose two players weigh 3 and 1 draws
    Poisson(66) and Poisson(22).
    """
    shares = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    return rng.poisson(team_totals[:, None] * shares)


def segment_starts(sorted_groups: np.ndarray) -> np.ndarray:
    """For each element of a grouped array, the index of its group's first element."""
    n = len(sorted_groups)
    is_first = np.ones(n, dtype=bool)
    is_first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    return np.maximum.accumulate(np.where(is_first, np.arange(n), 0))
