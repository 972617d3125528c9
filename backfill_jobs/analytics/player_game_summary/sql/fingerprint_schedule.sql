-- Input fingerprint of the schedule's final games, per day of [@start_date, @end_date]: how many,
-- and an order-independent digest (BIT_XOR of a hash per row) of the columns the transform reads.
-- A game turning final, a corrected score or a moved game changes the day's fingerprint.
SELECT
  game_date AS day,
  COUNT(*) AS row_count,
  BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(
    game_date,
    home_team_tricode,
    away_team_tricode,
    home_team_score,
    away_team_score,
    season_year
  )))) AS digest
FROM nba_raw.nbac_schedule
WHERE game_date BETWEEN @start_date AND @end_date
  AND game_status = 3
GROUP BY game_date
