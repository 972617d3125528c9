-- What raw data each day of [@start_date, @end_date] holds, for --dry-run: schedule games by
-- state, gamebook rows, play-by-play events and the games they cover. Days with no raw row at
-- all are left out.
WITH

schedule_days AS (
  SELECT
    game_date,
    COUNTIF(game_status = 3) AS final_games,
    COUNTIF(game_status IS NULL OR game_status != 3) AS unfinished_games
  FROM nba_raw.nbac_schedule
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date
),

gamebook_days AS (
  SELECT
    game_date,
    COUNT(*) AS gamebook_rows
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date
),

pbp_days AS (
  SELECT
    game_date,
    COUNT(*) AS pbp_events,
    COUNT(DISTINCT game_id) AS games_with_pbp
  FROM nba_raw.bigdataball_play_by_play
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date
),

days AS (
  SELECT game_date FROM schedule_days
  UNION DISTINCT
  SELECT game_date FROM gamebook_days
  UNION DISTINCT
  SELECT game_date FROM pbp_days
)

SELECT
  days.game_date,
  COALESCE(schedule_days.final_games, 0) AS final_games,
  COALESCE(schedule_days.unfinished_games, 0) AS unfinished_games,
  COALESCE(gamebook_days.gamebook_rows, 0) AS gamebook_rows,
  COALESCE(pbp_days.pbp_events, 0) AS pbp_events,
  COALESCE(pbp_days.games_with_pbp, 0) AS games_with_pbp
FROM days
LEFT JOIN schedule_days ON days.game_date = schedule_days.game_date
LEFT JOIN gamebook_days ON days.game_date = gamebook_days.game_date
LEFT JOIN pbp_days ON days.game_date = pbp_days.game_date
ORDER BY days.game_date
