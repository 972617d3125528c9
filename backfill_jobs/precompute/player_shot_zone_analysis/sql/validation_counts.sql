-- Row counts behind the shares of [@start_date, @end_date]: all feature rows, rows with zone data
-- in their last 10 games, rows using a league-average fallback, early-season rows.
SELECT
  COUNT(*) AS total_rows,
  COUNTIF(paint_rate_last_10 IS NOT NULL) AS rows_with_zones,
  COUNTIF(used_fallback) AS fallback_rows,
  COUNTIF(early_season_flag) AS early_season_rows
FROM nba_precompute.player_shot_zone_analysis
WHERE analysis_date BETWEEN @start_date AND @end_date
