-- BigDataBall play-by-play, the source of shot zones. Production requires a partition filter.
CREATE TABLE IF NOT EXISTS nba_raw.bigdataball_play_by_play (
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  season_year INT64,
  home_team_abbr STRING,
  away_team_abbr STRING,
  event_id STRING,
  event_sequence INT64,
  period INT64,
  game_clock STRING,
  event_type STRING,
  event_subtype STRING,
  player_1_name STRING,
  player_1_lookup STRING,
  player_1_team_abbr STRING,
  player_2_name STRING,
  player_2_lookup STRING,
  player_2_role STRING,
  shot_made BOOL,
  shot_type STRING,
  shot_distance FLOAT64,
  points_scored INT64,
  original_x FLOAT64,
  original_y FLOAT64,
  data_source STRING
)
PARTITION BY game_date
CLUSTER BY game_id, player_1_lookup
OPTIONS (require_partition_filter = TRUE)
