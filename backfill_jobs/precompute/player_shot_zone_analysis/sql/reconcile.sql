-- Player-games of player_game_summary (rows with minutes > 0) in [@start_date, @end_date] without
-- their feature row: the analytics -> features phase boundary of the production team's daily
-- reconciliation. One row per day: day, issue.
WITH

player_games AS (
  SELECT
    game_date,
    player_lookup
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
    AND minutes_played > 0
),

feature_rows AS (
  SELECT DISTINCT
    analysis_date,
    player_lookup
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
)

SELECT
  player_games.game_date AS day,
  CONCAT(
    CAST(COUNT(*) AS STRING), ' summary player-game(s) without a feature row (',
    MIN(player_games.player_lookup), IF(COUNT(*) > 1, ', ...', ''), ')'
  ) AS issue
FROM player_games
LEFT JOIN feature_rows
  ON player_games.game_date = feature_rows.analysis_date
  AND player_games.player_lookup = feature_rows.player_lookup
WHERE feature_rows.analysis_date IS NULL
GROUP BY player_games.game_date
ORDER BY day
