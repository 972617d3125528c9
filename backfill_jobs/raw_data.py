"""How the jobs' raw data comes to be, for the refusal of a warehouse file that is not there:
the sample-data generator, or the ingest of real BigDataBall files."""

from __future__ import annotations

from shared.paths import python_command


def create_hint(target: str) -> str:
    return (
        f"create it with `{python_command('-m', 'shared.nba.sample_data', '--warehouse', target)}`"
        f" or ingest real files with `{python_command('-m', 'shared.nba.ingest', '--help')}`"
    )
