-- NBA.com gamebook box scores: one row per player listed for a game (active, inactive, DNP).
CREATE TABLE IF NOT EXISTS nba_raw.nbac_gamebook_player_stats (
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  season_year INT64,
  home_team_abbr STRING,
  away_team_abbr STRING,
  player_name STRING,
  player_lookup STRING,
  team_abbr STRING,
  player_status STRING,
  dnp_reason STRING,
  minutes STRING,
  points INT64,
  field_goals_made INT64,
  field_goals_attempted INT64,
  three_pointers_made INT64,
  three_pointers_attempted INT64,
  free_throws_made INT64,
  free_throws_attempted INT64,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64,
  personal_fouls INT64,
  plus_minus INT64
)
PARTITION BY game_date
CLUSTER BY game_id, team_abbr
