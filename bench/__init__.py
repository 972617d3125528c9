"""Side-by-side benchmarks of the backfill (``make bench``); see bench/__main__.py."""
