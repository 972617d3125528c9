"""The jobs' raw data: how it comes to be (for the refusal of a warehouse file that is not
there: the sample-data generator, or the ingest of real BigDataBall files), and the days the
``--help`` examples name (the seasons 2021-22 to 2023-24, and a week of them)."""

from __future__ import annotations

from datetime import date

from shared.paths import python_command

HISTORY = (date(2021, 10, 1), date(2024, 5, 1))
WEEK = (date(2022, 1, 10), date(2022, 1, 17))


def create_hint(target: str) -> str:
    return (
        f"create it with `{python_command('-m', 'shared.nba.sample_data', '--warehouse', target)}`"
        f" or ingest real files with `{python_command('-m', 'shared.nba.ingest', '--help')}`"
    )
