-- What the rows of each feature day of [@start_date, @end_date] say about how they were made: one
-- row per day and distinct lineage (a day written by one statement has exactly one), with its row
-- count and how many rows no longer match their data_hash (edited since they were written).
-- The content hash is the one player_shot_zone_analysis.sql writes as data_hash: every column of
-- the table but processed_at and the lineage, in the table's order.
SELECT
  analysis_date AS day,
  transform_version,
  source_player_game_hash,
  source_player_game_rows_found,
  COUNT(*) AS row_count,
  COUNTIF(
    data_hash IS NULL
    OR data_hash != CAST(FARM_FINGERPRINT(TO_JSON_STRING(content)) AS STRING)
  ) AS changed_rows
FROM (
  SELECT
    analysis_date,
    transform_version,
    source_player_game_hash,
    source_player_game_rows_found,
    data_hash,
    STRUCT(
      player_lookup,
      player_full_name,
      analysis_date,
      game_id,
      team_abbr,
      opponent_team_abbr,
      season_year,
      paint_rate_last_10,
      mid_range_rate_last_10,
      three_pt_rate_last_10,
      assisted_rate_last_10,
      paint_pct_last_10,
      mid_range_pct_last_10,
      three_pt_pct_last_10,
      total_shots_last_10,
      games_in_sample_10,
      games_with_zones_10,
      paint_rate_last_20,
      games_in_sample_20,
      early_season_flag,
      paint_rate_feature,
      mid_range_rate_feature,
      three_pt_rate_feature,
      assisted_rate_feature,
      used_fallback
    ) AS content
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
)
GROUP BY analysis_date, transform_version, source_player_game_hash, source_player_game_rows_found
