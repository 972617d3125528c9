-- Per day of [@start_date, @end_date] that has player-games upstream or rows in the target: the
-- player-games (player_game_summary rows with minutes > 0: one feature row each), and what the
-- target holds: rows, and coverage = share of the rows with zone data in their last 10 games
-- (the rest use the league-average fallback).
-- Column names are the engine's (day, units, row_count, coverage).
-- One statement serves both planning (which days have work, which hold stale rows) and the
-- report after a write, so a batch costs two warehouse round trips: the write and this.
WITH

written AS (
  SELECT
    analysis_date,
    COUNT(*) AS row_count,
    SAFE_DIVIDE(COUNTIF(paint_rate_last_10 IS NOT NULL), COUNT(*)) AS coverage
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
  GROUP BY analysis_date
),

upstream AS (
  SELECT
    game_date,
    COUNTIF(minutes_played > 0) AS player_games
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date
)

SELECT
  COALESCE(written.analysis_date, upstream.game_date) AS day,
  COALESCE(upstream.player_games, 0) AS units,
  COALESCE(written.row_count, 0) AS row_count,
  written.coverage
FROM written
FULL OUTER JOIN upstream
  ON written.analysis_date = upstream.game_date
ORDER BY day
