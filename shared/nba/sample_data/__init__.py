"""Deterministic, realistic raw NBA data for the embedded warehouse.

``seed_warehouse(path, start, end, seed)`` writes the three raw tables
(``nba_raw.nbac_schedule``, ``nba_raw.nbac_gamebook_player_stats``,
``nba_raw.bigdataball_play_by_play``) for a date range of the 2021-22..2025-26
seasons. Box scores and play-by-play are drawn event by event, so they agree.

Conventions a consumer must know:
- Every game is final (game_status 3); scores are the sums of the gamebook points.
- Play-in games have is_regular_season = FALSE and is_playoffs = FALSE.
- DNP and inactive gamebook rows have NULL stats (plus_minus included) and minutes
  NULL, '' or '-'; active rows have minutes "MM:SS", "M:SS" or whole minutes "36".
- About 4% of games have no play-by-play rows at all; ~3% of the others come from
  'nbacom_fallback', whose lookups never carry the player-id prefix that
  BigDataBall lookups carry from 2024-10-01 on.
- Team rebounds are not events; 'foul' and 'turnover' events are not tied to free
  throws; and-ones are 'free throw 1/1' right after the shooter's made shot.
"""

from shared.nba.sample_data.seed import SeedSummary, seed_warehouse

__all__ = ["SeedSummary", "seed_warehouse"]
