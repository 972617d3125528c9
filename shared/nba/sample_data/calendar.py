"""Season calendars built from the league's published key dates.

A season is named by the year it starts (2023 = 2023-24) and runs from July 1 to
June 30; games are played from the opener in October to the Finals in June.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

FIRST_SEASON = 2021
LAST_SEASON = 2025
SUPPORTED_START = date(FIRST_SEASON, 7, 1)
SUPPORTED_END = date(LAST_SEASON + 1, 6, 30)

# Opening night and last day of each regular season (NBA.com schedule releases).
_OPENER = {
    2021: date(2021, 10, 19),
    2022: date(2022, 10, 18),
    2023: date(2023, 10, 24),
    2024: date(2024, 10, 22),
    2025: date(2025, 10, 21),
}
_REGULAR_SEASON_END = {
    2021: date(2022, 4, 10),
    2022: date(2023, 4, 9),
    2023: date(2024, 4, 14),
    2024: date(2025, 4, 13),
    2025: date(2026, 4, 12),
}
# All-Star break: the days without games around All-Star Sunday (NBA.com schedules).
_ALL_STAR_BREAK = {
    2021: (date(2022, 2, 18), date(2022, 2, 23)),
    2022: (date(2023, 2, 17), date(2023, 2, 22)),
    2023: (date(2024, 2, 16), date(2024, 2, 21)),
    2024: (date(2025, 2, 14), date(2025, 2, 19)),
    2025: (date(2026, 2, 13), date(2026, 2, 18)),
}
# Earliest Game 1 of the Finals (NBA.com; 2025-26 as scheduled in the season calendar).
_FINALS_START = {
    2021: date(2022, 6, 2),
    2022: date(2023, 6, 1),
    2023: date(2024, 6, 6),
    2024: date(2025, 6, 5),
    2025: date(2026, 6, 4),
}
# Other dark nights: the NCAA men's final (first Monday of April) and Election Day 2024.
_OTHER_DARK_DAYS = {
    2021: (date(2022, 4, 4),),
    2022: (date(2023, 4, 3),),
    2023: (date(2024, 4, 8),),
    2024: (date(2024, 11, 5), date(2025, 4, 7)),
    2025: (date(2026, 4, 6),),
}
# Play-in Tuesday, Wednesday and Friday after the last regular-season Sunday, playoffs
# from Saturday (the pattern of every season since 2021-22).
_PLAY_IN_OFFSETS = (2, 3, 5)
_PLAYOFFS_OFFSET = 6


def season_of(day: date) -> int:
    """The season a date belongs to: July 1, 2023 .. June 30, 2024 is season 2023."""
    return day.year if day.month >= 7 else day.year - 1


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=3)


@dataclass(frozen=True)
class SeasonCalendar:
    """The fixed dates of one season; which games fall on them is the schedule's job."""

    season_year: int
    opener: date
    regular_season_end: date
    all_star_break: tuple[date, date]
    finals_start: date
    dark_days: frozenset[date]

    @property
    def christmas(self) -> date:
        return date(self.season_year, 12, 25)

    def regular_season_days(self) -> list[date]:
        """Every date from the opener to the last day that may hold games."""
        days = []
        day = self.opener
        while day <= self.regular_season_end:
            in_break = self.all_star_break[0] <= day <= self.all_star_break[1]
            if not in_break and day not in self.dark_days:
                days.append(day)
            day += timedelta(days=1)
        return days

    def play_in_days(self) -> tuple[date, date, date]:
        first, second, third = (
            self.regular_season_end + timedelta(days=offset) for offset in _PLAY_IN_OFFSETS
        )
        return first, second, third

    def playoffs_start(self) -> date:
        return self.regular_season_end + timedelta(days=_PLAYOFFS_OFFSET)


def season_calendar(season: int) -> SeasonCalendar:
    """The calendar of a supported season (KeyError otherwise)."""
    dark = {thanksgiving(season), date(season, 12, 24), *_OTHER_DARK_DAYS[season]}
    return SeasonCalendar(
        season_year=season,
        opener=_OPENER[season],
        regular_season_end=_REGULAR_SEASON_END[season],
        all_star_break=_ALL_STAR_BREAK[season],
        finals_start=_FINALS_START[season],
        dark_days=frozenset(dark),
    )
