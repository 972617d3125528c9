-- NBA.com schedule: one row per game. game_status: 1 scheduled, 2 live, 3 final.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_schedule (
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  season_year INT64,
  game_status INT64,
  home_team_tricode STRING,
  away_team_tricode STRING,
  home_team_score INT64,
  away_team_score INT64,
  is_regular_season BOOL,
  is_playoffs BOOL
)
PARTITION BY game_date
CLUSTER BY game_id
