"""Loading real raw files into the embedded warehouse (``python -m shared.nba.ingest``).

Each source has a parser that turns one file into validated rows of its raw table,
grouped by game (``bigdataball``, ``exports``); ``loader`` writes each game in one
transaction, so a game is either replaced whole or left as it was.
"""
