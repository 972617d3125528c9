"""The league's fixed facts: 30 teams, two conferences of three divisions of five."""

from __future__ import annotations

# NBA divisions since 2004-05 (nba.com/standings); the first three form the East.
DIVISIONS: tuple[tuple[str, ...], ...] = (
    ("BOS", "BKN", "NYK", "PHI", "TOR"),  # Atlantic
    ("CHI", "CLE", "DET", "IND", "MIL"),  # Central
    ("ATL", "CHA", "MIA", "ORL", "WAS"),  # Southeast
    ("DEN", "MIN", "OKC", "POR", "UTA"),  # Northwest
    ("GSW", "LAC", "LAL", "PHX", "SAC"),  # Pacific
    ("DAL", "HOU", "MEM", "NOP", "SAS"),  # Southwest
)

# A team's index everywhere in the generator is its place in this alphabetical tuple.
TEAMS: tuple[str, ...] = tuple(sorted(team for division in DIVISIONS for team in division))
N_TEAMS = len(TEAMS)
DIVISIONS_PER_CONFERENCE = 3

# 15 standard contracts plus two-way players: the ~17 names a gamebook can list.
ROSTER_SIZE = 17
