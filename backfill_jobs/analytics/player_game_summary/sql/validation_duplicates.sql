-- (game_id, player_lookup) keys of [@start_date, @end_date] held more than once: the first five,
-- each carrying how many duplicated keys there are in all.
SELECT
  game_id,
  player_lookup,
  COUNT(*) AS copies,
  COUNT(*) OVER () AS duplicate_keys
FROM nba_analytics.player_game_summary
WHERE game_date BETWEEN @start_date AND @end_date
GROUP BY game_id, player_lookup
HAVING COUNT(*) > 1
ORDER BY game_id, player_lookup
LIMIT 5
