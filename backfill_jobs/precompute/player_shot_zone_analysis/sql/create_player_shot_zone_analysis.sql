-- One row per player who played (minutes > 0) on analysis_date, with shot-zone features from his
-- earlier games of the season (definitions in player_shot_zone_analysis.sql). Rates are NULL,
-- never 0, without zone data; the *_feature columns are what the prop model reads.
CREATE TABLE IF NOT EXISTS nba_precompute.player_shot_zone_analysis (
  player_lookup STRING,
  player_full_name STRING,
  analysis_date DATE,
  game_id STRING,
  team_abbr STRING,
  opponent_team_abbr STRING,
  season_year INT64,
  paint_rate_last_10 FLOAT64,
  mid_range_rate_last_10 FLOAT64,
  three_pt_rate_last_10 FLOAT64,
  assisted_rate_last_10 FLOAT64,
  paint_pct_last_10 FLOAT64,
  mid_range_pct_last_10 FLOAT64,
  three_pt_pct_last_10 FLOAT64,
  total_shots_last_10 INT64,
  games_in_sample_10 INT64,
  games_with_zones_10 INT64,
  paint_rate_last_20 FLOAT64,
  games_in_sample_20 INT64,
  early_season_flag BOOL,
  paint_rate_feature FLOAT64,
  mid_range_rate_feature FLOAT64,
  three_pt_rate_feature FLOAT64,
  assisted_rate_feature FLOAT64,
  used_fallback BOOL,
  processed_at TIMESTAMP,
  -- Lineage (player_shot_zone_analysis.sql says how each is made): a hash of the fields above
  -- but processed_at, the transform version, and the digest of the summary rows the day read.
  data_hash STRING,
  transform_version STRING,
  source_player_game_hash STRING,
  source_player_game_rows_found INT64
)
PARTITION BY analysis_date
CLUSTER BY player_lookup, team_abbr
