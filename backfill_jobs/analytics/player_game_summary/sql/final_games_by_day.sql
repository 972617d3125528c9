-- Work units of the job: the final games (game_status 3) of each day of [@start_date, @end_date].
-- Days without a final game are left out: they have nothing to compute.
SELECT
  game_date,
  COUNT(*) AS final_games
FROM nba_raw.nbac_schedule
WHERE game_date BETWEEN @start_date AND @end_date
  AND game_status = 3
GROUP BY game_date
ORDER BY game_date
