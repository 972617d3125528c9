-- Rows of [@start_date, @end_date] whose last-10 window has zone shots but whose paint, mid-range
-- and three rates do not add up to 1 within 0.001 (a NULL rate counts as not adding up): the
-- first five, each carrying how many such rows there are in all.
SELECT
  analysis_date,
  player_lookup,
  paint_rate_last_10 + mid_range_rate_last_10 + three_pt_rate_last_10 AS rate_sum,
  COUNT(*) OVER () AS bad_rows
FROM nba_precompute.player_shot_zone_analysis
WHERE analysis_date BETWEEN @start_date AND @end_date
  AND total_shots_last_10 > 0
  AND NOT COALESCE(
    ABS(paint_rate_last_10 + mid_range_rate_last_10 + three_pt_rate_last_10 - 1) <= 0.001, FALSE
  )
ORDER BY analysis_date, player_lookup
LIMIT 5
