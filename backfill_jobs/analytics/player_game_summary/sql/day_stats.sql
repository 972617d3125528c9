-- Per day of [@start_date, @end_date] that has final games or rows in the target: the units of
-- work (the schedule's final games, game_status 3), and what the target holds: rows, games, and
-- shot-zone coverage = share of the rows with minutes whose zones are known (NULL if no row has
-- minutes). Column names are the engine's (day, units, row_count, coverage).
-- One statement serves both planning (which days have work, which hold stale rows) and the
-- report after a write, so a day costs two warehouse round trips: the write and this.
WITH

written AS (
  SELECT
    game_date,
    COUNT(*) AS row_count,
    COUNT(DISTINCT game_id) AS games,
    SAFE_DIVIDE(
      COUNTIF(minutes_played IS NOT NULL AND paint_attempts IS NOT NULL),
      COUNTIF(minutes_played IS NOT NULL)
    ) AS coverage
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date
),

final_games AS (
  SELECT
    game_date,
    COUNT(*) AS final_games
  FROM nba_raw.nbac_schedule
  WHERE game_date BETWEEN @start_date AND @end_date
    AND game_status = 3
  GROUP BY game_date
)

SELECT
  COALESCE(written.game_date, final_games.game_date) AS day,
  COALESCE(final_games.final_games, 0) AS units,
  COALESCE(written.row_count, 0) AS row_count,
  COALESCE(written.games, 0) AS games,
  written.coverage
FROM written
FULL OUTER JOIN final_games
  ON written.game_date = final_games.game_date
ORDER BY day
