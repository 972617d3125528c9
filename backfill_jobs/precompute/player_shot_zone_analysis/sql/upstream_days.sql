-- What player_game_summary holds per day of [@start_date, @end_date], for --dry-run and for
-- planning before the target exists: its rows (DNP and inactive included) and its player-games
-- (rows with minutes > 0). Days without a row are left out.
SELECT
  game_date,
  COUNT(*) AS row_count,
  COUNTIF(minutes_played > 0) AS player_games
FROM nba_analytics.player_game_summary
WHERE game_date BETWEEN @start_date AND @end_date
GROUP BY game_date
ORDER BY game_date
