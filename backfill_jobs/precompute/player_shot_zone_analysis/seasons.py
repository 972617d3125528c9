"""Which upstream days a feature day reads: its season, from the season's first day to itself.

Season bounds come from the calendar, not from the data, so the upstream read is pruned by two
constant parameters before any row is seen (pitfall 3), and a day costs one season at most
however long the history grows.

The rule: a season runs from August 1 to July 31. Every NBA season fits inside it (openers are
in October or later; the latest Finals, 2020-21's, ended on July 20, 2021) except the two the
pandemic moved, listed in ``_MOVED_SEASONS``. Within the bounds the transform also requires the
same ``season_year``, so a batch whose read spans two seasons still never mixes them.

>>> lookback(date(2022, 1, 10))
(datetime.date(2021, 8, 1), datetime.date(2022, 1, 10))
>>> lookback(date(2020, 9, 30))  # the Orlando bubble belongs to 2019-20
(datetime.date(2019, 8, 1), datetime.date(2020, 9, 30))
"""

from __future__ import annotations

from datetime import date

SEASON_START_MONTH = 8

# (first day, last day) of seasons outside the August 1 rule: 2019-20 ended in the bubble on
# 2020-10-11; 2020-21 opened on 2020-12-22 and its Finals ended on 2021-07-20.
_MOVED_SEASONS = (
    (date(2019, 8, 1), date(2020, 11, 30)),
    (date(2020, 12, 1), date(2021, 7, 31)),
)

# Everything the rule above depends on (part of the features' transform version).
SEASON_CALENDAR = (SEASON_START_MONTH, _MOVED_SEASONS)


def season_start(day: date) -> date:
    """The first day of the season ``day`` belongs to."""
    for first, last in _MOVED_SEASONS:
        if first <= day <= last:
            return first
    year = day.year if day.month >= SEASON_START_MONTH else day.year - 1
    return date(year, SEASON_START_MONTH, 1)


def lookback(day: date) -> tuple[date, date]:
    """The upstream days (first, last) the features of ``day`` are computed from.

    The last is ``day`` itself: its player-games decide which feature rows exist; the
    window of each row holds only the games before it.
    """
    return season_start(day), day


def query_params(first: date, last: date) -> dict[str, date]:
    """The transform's parameters for the feature days [first, last]: upstream is read from
    the season start of ``first`` to ``last`` (a batch spanning a summer reads both seasons)."""
    return {"lookback_start": season_start(first), "start_date": first, "end_date": last}
