-- Final games of [@start_date, @end_date] (the schedule's game_status 3) with no row in the
-- target: the first ten, each carrying how many there are in all. A game is matched by its
-- date and teams (the summary's home-team rows), as the transform joins the sources.
WITH

final_games AS (
  SELECT
    game_date,
    home_team_tricode,
    away_team_tricode
  FROM nba_raw.nbac_schedule
  WHERE game_date BETWEEN @start_date AND @end_date
    AND game_status = 3
),

written_games AS (
  SELECT DISTINCT
    game_date,
    team_abbr,
    opponent_team_abbr
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
)

SELECT
  final_games.game_date,
  CONCAT(final_games.away_team_tricode, '@', final_games.home_team_tricode) AS matchup,
  COUNT(*) OVER () AS missing_games
FROM final_games
LEFT JOIN written_games
  ON final_games.game_date = written_games.game_date
  AND final_games.home_team_tricode = written_games.team_abbr
  AND final_games.away_team_tricode = written_games.opponent_team_abbr
WHERE written_games.game_date IS NULL
ORDER BY final_games.game_date, matchup
LIMIT 10
