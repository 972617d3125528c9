-- Days of [@start_date, @end_date] whose schedule has final games but the target has no row:
-- the first ten, each carrying how many such days there are in all.
WITH

final_days AS (
  SELECT DISTINCT game_date
  FROM nba_raw.nbac_schedule
  WHERE game_date BETWEEN @start_date AND @end_date
    AND game_status = 3
),

written_days AS (
  SELECT DISTINCT game_date
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
)

SELECT
  final_days.game_date,
  COUNT(*) OVER () AS missing_days
FROM final_days
LEFT JOIN written_days ON final_days.game_date = written_days.game_date
WHERE written_days.game_date IS NULL
ORDER BY final_days.game_date
LIMIT 10
