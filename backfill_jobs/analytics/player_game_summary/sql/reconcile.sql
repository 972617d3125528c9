-- Games that fell between two phases of [@start_date, @end_date], as the production team's daily
-- reconciliation checks them: a final game of the schedule without gamebook rows (box scores
-- missing), and a final game without rows in the target (players missing from the summary).
-- One row per game and problem: day, issue.
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

gamebook_games AS (
  SELECT DISTINCT
    game_date,
    home_team_abbr,
    away_team_abbr
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN @start_date AND @end_date
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
  final_games.game_date AS day,
  CONCAT(
    'final game ', final_games.away_team_tricode, '@', final_games.home_team_tricode,
    IF(gamebook_games.game_date IS NULL, ' has no gamebook rows', ' has no summary rows')
  ) AS issue
FROM final_games
LEFT JOIN gamebook_games
  ON final_games.game_date = gamebook_games.game_date
  AND final_games.home_team_tricode = gamebook_games.home_team_abbr
  AND final_games.away_team_tricode = gamebook_games.away_team_abbr
LEFT JOIN written_games
  ON final_games.game_date = written_games.game_date
  AND final_games.home_team_tricode = written_games.team_abbr
  AND final_games.away_team_tricode = written_games.opponent_team_abbr
WHERE gamebook_games.game_date IS NULL OR written_games.game_date IS NULL
ORDER BY day, issue
