-- What a batch wrote, per day of [@start_date, @end_date] with rows in the target: rows, games,
-- and shot-zone coverage = share of the rows with minutes whose zones are known (NULL if no row
-- has minutes).
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
ORDER BY game_date
