-- Player-games of [@start_date, @end_date] (player_game_summary rows with minutes > 0) and feature
-- rows that do not pair up one to one: a player-game without a feature row or with several, and
-- a feature row without a player-game. The first five, each carrying how many there are in all.
WITH

player_games AS (
  SELECT
    game_date,
    game_id,
    player_lookup,
    COUNT(*) AS player_games
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
    AND minutes_played > 0
  GROUP BY game_date, game_id, player_lookup
),

feature_rows AS (
  SELECT
    analysis_date,
    game_id,
    player_lookup,
    COUNT(*) AS feature_rows
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
  GROUP BY analysis_date, game_id, player_lookup
)

SELECT
  COALESCE(player_games.game_date, feature_rows.analysis_date) AS analysis_date,
  COALESCE(player_games.game_id, feature_rows.game_id) AS game_id,
  COALESCE(player_games.player_lookup, feature_rows.player_lookup) AS player_lookup,
  COALESCE(player_games.player_games, 0) AS player_games,
  COALESCE(feature_rows.feature_rows, 0) AS feature_rows,
  COUNT(*) OVER () AS unpaired
FROM player_games
FULL OUTER JOIN feature_rows
  ON player_games.game_date = feature_rows.analysis_date
  AND player_games.game_id = feature_rows.game_id
  AND player_games.player_lookup = feature_rows.player_lookup
WHERE COALESCE(player_games.player_games, 0) != 1 OR COALESCE(feature_rows.feature_rows, 0) != 1
ORDER BY analysis_date, game_id, player_lookup
LIMIT 5
