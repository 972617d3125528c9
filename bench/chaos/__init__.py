"""``make chaos``: the backfill's reliability campaign, run as a user would meet the faults.

Kill rounds (``kill -9`` at random points, then resume) and signal rounds (SIGTERM/SIGINT)
on a generated warehouse, each compared with a clean sequential run by the table's content
hash and its keys; then every known bad input and environment fault, each checked for its
exit code, a one-line error, no traceback and nothing written where the run is refused.
``python -m bench.chaos --help`` for the knobs; ``--quick`` is what ``make test`` runs.
"""
