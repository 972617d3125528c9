-- Row counts behind the volume checks of [@start_date, @end_date]: all rows, rows without
-- minutes (DNP / inactive), rows with minutes, rows with minutes that carry shot zones, and the
-- game days they come from (the size of the population the shares describe).
SELECT
  COUNT(*) AS total_rows,
  COUNT(DISTINCT game_date) AS game_days,
  COUNTIF(minutes_played IS NULL) AS null_minutes_rows,
  COUNTIF(minutes_played IS NOT NULL) AS rows_with_minutes,
  COUNTIF(minutes_played IS NOT NULL AND paint_attempts IS NOT NULL) AS rows_with_zones
FROM nba_analytics.player_game_summary
WHERE game_date BETWEEN @start_date AND @end_date
