-- Player-games of [@start_date, @end_date] with play-by-play zones whose paint + mid-range +
-- three attempts differ from the box score's field-goal attempts: the first five, each
-- carrying how many there are in all, so a failing "zone attempts = FGA" names them.
SELECT
  game_id,
  player_lookup,
  paint_attempts + mid_range_attempts + three_attempts_pbp AS zone_attempts,
  fg_attempts,
  COUNT(*) OVER () AS mismatches
FROM nba_analytics.player_game_summary
WHERE game_date BETWEEN @start_date AND @end_date
  AND paint_attempts IS NOT NULL
  AND paint_attempts + mid_range_attempts + three_attempts_pbp IS DISTINCT FROM fg_attempts
ORDER BY game_id, player_lookup
LIMIT 5
