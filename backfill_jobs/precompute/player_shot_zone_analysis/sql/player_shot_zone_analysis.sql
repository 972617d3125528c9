-- player_shot_zone_analysis for the feature days [@start_date, @end_date]: one row per player
-- with minutes on the day, in the column order of create_player_shot_zone_analysis.sql.
--
-- Pruning: player_game_summary is read once, filtered by constant parameters on its own partition
-- column, game_date BETWEEN @lookback_start AND @end_date, where @lookback_start is the first day
-- of the season of @start_date (seasons.py). A day reads at most one season of upstream rows,
-- however long the history is.
--
-- Definitions:
--   * A player's game is a player_game_summary row with minutes_played > 0. DNP, inactive and
--     0:00 rows are neither feature rows nor games of a window.
--   * Window: the player's games strictly before analysis_date in the same season_year, on any
--     team (a traded player keeps his history), newest first. last_10 is the first 10 of them,
--     last_20 the first 20. The day's own game is never in its window: no leakage into training
--     rows. Two games of one player on one date (never in real data) are ordered by game_id.
--   * games_in_sample_N: games in the window (at most N). games_with_zones_10: those of the last
--     10 with zone data (zone columns not NULL: the game had play-by-play).
--   * Zone attempts = paint + mid-range + three attempts; zone makes likewise.
--     paint_rate_last_10 = paint attempts / zone attempts, summed over the last 10 games with
--     zone data; mid_range_rate_last_10 and three_pt_rate_last_10 alike, so the three add up to 1.
--     assisted_rate_last_10 = assisted makes / zone makes.
--     paint_pct_last_10 = paint makes / paint attempts; mid_range_ and three_pt_pct_last_10 alike.
--     total_shots_last_10 = zone attempts. paint_rate_last_20 = paint_rate over the last 20.
--   * NULL rule: without zone data in the window a rate (and total_shots_last_10) is NULL, never
--     0; so is a rate with nothing to divide by (no zone attempts, no makes, no attempts in the
--     zone).
--   * Counts are summed as integers and divided last, so no value depends on how many days one
--     statement computes.
--   * early_season_flag: fewer than 10 earlier games this season (games_in_sample_10 < 10).
--   * *_feature: the rate, or where it is NULL the prop model's league average for players
--     without shot-zone data: 30% paint, 20% mid-range, 30% three, 60% assisted.
--     used_fallback: at least one of the four features is a league average.
--
-- Lineage, written by this same statement: every row carries @transform_version, data_hash (a
-- hash of its fields but processed_at and the lineage) and source_player_game_hash, the digest of
-- the summary rows its day reads: BIT_XOR of a hash of player_game_summary.data_hash over the
-- players' games (minutes > 0) of the day's season up to and including the day, with their count
-- (source_player_game_rows_found). The engine runs
-- summary_digest on its own to see whether what a day read has changed since it was written.
WITH

played AS (
  SELECT
    player_lookup,
    player_full_name,
    game_id,
    game_date,
    team_abbr,
    opponent_team_abbr,
    season_year,
    paint_attempts,
    paint_makes,
    mid_range_attempts,
    mid_range_makes,
    three_attempts_pbp,
    three_makes_pbp,
    assisted_fg_makes,
    data_hash
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @lookback_start AND @end_date
    AND minutes_played > 0
),

-- Per (day, season) of the read, its player-games and the digest of their summary rows.
summary_days AS (
  SELECT
    game_date,
    season_year,
    COUNT(*) AS row_count,
    BIT_XOR(FARM_FINGERPRINT(data_hash)) AS digest
  FROM played
  GROUP BY game_date, season_year
),

-- Per feature day: what it reads, its season's player-games up to and including the day.
summary_digest AS (
  SELECT
    feature_day.game_date AS day,
    SUM(earlier.row_count) AS row_count,
    BIT_XOR(earlier.digest) AS digest
  FROM summary_days AS feature_day
  INNER JOIN summary_days AS earlier
    ON earlier.season_year = feature_day.season_year
    AND earlier.game_date <= feature_day.game_date
  WHERE feature_day.game_date BETWEEN @start_date AND @end_date
  GROUP BY feature_day.game_date
),

feature_rows AS (
  SELECT *
  FROM played
  WHERE game_date BETWEEN @start_date AND @end_date
),

-- Each feature row's earlier games of the season, numbered newest first.
earlier_games AS (
  SELECT
    feature_rows.player_lookup,
    feature_rows.game_id,
    earlier.paint_attempts,
    earlier.paint_makes,
    earlier.mid_range_attempts,
    earlier.mid_range_makes,
    earlier.three_attempts_pbp,
    earlier.three_makes_pbp,
    earlier.assisted_fg_makes,
    earlier.paint_attempts + earlier.mid_range_attempts + earlier.three_attempts_pbp
      AS zone_attempts,
    earlier.paint_makes + earlier.mid_range_makes + earlier.three_makes_pbp AS zone_makes,
    ROW_NUMBER() OVER (
      PARTITION BY feature_rows.player_lookup, feature_rows.game_id
      ORDER BY earlier.game_date DESC, earlier.game_id DESC
    ) AS games_back
  FROM feature_rows
  INNER JOIN played AS earlier
    ON earlier.player_lookup = feature_rows.player_lookup
    AND earlier.season_year = feature_rows.season_year
    AND earlier.game_date < feature_rows.game_date
),

-- Integer sums per window; SUM over games without zone data (all NULL) stays NULL.
windows AS (
  SELECT
    player_lookup,
    game_id,
    COUNTIF(games_back <= 10) AS games_in_sample_10,
    COUNTIF(games_back <= 10 AND zone_attempts IS NOT NULL) AS games_with_zones_10,
    SUM(IF(games_back <= 10, paint_attempts, NULL)) AS paint_attempts_10,
    SUM(IF(games_back <= 10, paint_makes, NULL)) AS paint_makes_10,
    SUM(IF(games_back <= 10, mid_range_attempts, NULL)) AS mid_range_attempts_10,
    SUM(IF(games_back <= 10, mid_range_makes, NULL)) AS mid_range_makes_10,
    SUM(IF(games_back <= 10, three_attempts_pbp, NULL)) AS three_attempts_10,
    SUM(IF(games_back <= 10, three_makes_pbp, NULL)) AS three_makes_10,
    SUM(IF(games_back <= 10, assisted_fg_makes, NULL)) AS assisted_makes_10,
    SUM(IF(games_back <= 10, zone_attempts, NULL)) AS zone_attempts_10,
    SUM(IF(games_back <= 10, zone_makes, NULL)) AS zone_makes_10,
    COUNT(*) AS games_in_sample_20,
    SUM(paint_attempts) AS paint_attempts_20,
    SUM(zone_attempts) AS zone_attempts_20
  FROM earlier_games
  WHERE games_back <= 20
  GROUP BY player_lookup, game_id
),

rates AS (
  SELECT
    feature_rows.player_lookup,
    feature_rows.player_full_name,
    feature_rows.game_date AS analysis_date,
    feature_rows.game_id,
    feature_rows.team_abbr,
    feature_rows.opponent_team_abbr,
    feature_rows.season_year,
    SAFE_DIVIDE(windows.paint_attempts_10, windows.zone_attempts_10) AS paint_rate_last_10,
    SAFE_DIVIDE(windows.mid_range_attempts_10, windows.zone_attempts_10)
      AS mid_range_rate_last_10,
    SAFE_DIVIDE(windows.three_attempts_10, windows.zone_attempts_10) AS three_pt_rate_last_10,
    SAFE_DIVIDE(windows.assisted_makes_10, windows.zone_makes_10) AS assisted_rate_last_10,
    SAFE_DIVIDE(windows.paint_makes_10, windows.paint_attempts_10) AS paint_pct_last_10,
    SAFE_DIVIDE(windows.mid_range_makes_10, windows.mid_range_attempts_10)
      AS mid_range_pct_last_10,
    SAFE_DIVIDE(windows.three_makes_10, windows.three_attempts_10) AS three_pt_pct_last_10,
    windows.zone_attempts_10 AS total_shots_last_10,
    COALESCE(windows.games_in_sample_10, 0) AS games_in_sample_10,
    COALESCE(windows.games_with_zones_10, 0) AS games_with_zones_10,
    SAFE_DIVIDE(windows.paint_attempts_20, windows.zone_attempts_20) AS paint_rate_last_20,
    COALESCE(windows.games_in_sample_20, 0) AS games_in_sample_20
  FROM feature_rows
  LEFT JOIN windows
    ON feature_rows.player_lookup = windows.player_lookup
    AND feature_rows.game_id = windows.game_id
),

-- The rows, in the column order of create_player_shot_zone_analysis.sql; data_hash hashes them.
features AS (
  SELECT
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
    games_in_sample_10 < 10 AS early_season_flag,
    COALESCE(paint_rate_last_10, 0.30) AS paint_rate_feature,
    COALESCE(mid_range_rate_last_10, 0.20) AS mid_range_rate_feature,
    COALESCE(three_pt_rate_last_10, 0.30) AS three_pt_rate_feature,
    COALESCE(assisted_rate_last_10, 0.60) AS assisted_rate_feature,
    -- The three zone rates share one denominator: they are NULL together.
    paint_rate_last_10 IS NULL OR assisted_rate_last_10 IS NULL AS used_fallback
  FROM rates
)

SELECT
  features.*,
  CURRENT_TIMESTAMP() AS processed_at,
  CAST(FARM_FINGERPRINT(TO_JSON_STRING(features)) AS STRING) AS data_hash,
  @transform_version AS transform_version,
  COALESCE(CAST(summary_digest.digest AS STRING), '0') AS source_player_game_hash,
  COALESCE(summary_digest.row_count, 0) AS source_player_game_rows_found
FROM features
LEFT JOIN summary_digest
  ON features.analysis_date = summary_digest.day
