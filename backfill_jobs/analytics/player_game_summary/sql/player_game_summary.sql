-- player_game_summary for the final games of [@start_date, @end_date]: one row per player the
-- gamebook lists (active, inactive, DNP), in the column order of create_player_game_summary.sql.
--
-- Pruning: each raw table is read once, in its own CTE, filtered by the constant parameter range
-- on its own partition column, so a day costs the same however long the history is.
--
-- A game is keyed by (game_date, home team, away team) across the three sources: the schedule,
-- the gamebook and BigDataBall need not share one game_id convention (NBA.com schedule ids are
-- like '0022100601', gamebook ids '20240101_BKN_MIL'), but they agree on tricodes. The output
-- game_id is the gamebook's.
--
-- Choices the gamebook subset forces (documented so readers can judge them):
--   * starter_flag: the gamebook has no starter column, so the five players with the most
--     minutes of each team-game count as starters (ties broken by player_lookup).
--   * is_active = player_status 'active'; is_dnp = player_status 'dnp' (a coach's decision or
--     similar: dressed but did not play). Inactive players are neither.
--   * Zones are NULL, never 0, when they are unknown: for every player of a game without
--     play-by-play rows, and for players without minutes. A player with minutes in a game
--     with play-by-play but without shots gets 0s.
--   * has_complete_shot_zones: zones are known and the player's play-by-play field-goal
--     attempts equal the gamebook's field_goals_attempted.
--   * shot_zones_source is the play-by-play data_source of the game, on every row of the game
--     (NULL when the game has none).
--   * A field-goal attempt is a play-by-play event of type 'shot'; free throws are not.
--
-- Lineage, written by this same statement (one snapshot, one atomic write): every row carries
-- @transform_version (a hash of this text, normalized), the digest and the count of each raw
-- input's rows of its day as read here (source_<prefix>_hash and source_<prefix>_rows_found, as
-- production names them: nbac gamebook, bbd play-by-play, schedule), and data_hash, a hash of
-- its meaningful fields (every column but processed_at and the lineage). Each raw table
-- is read by exactly one CTE of plain columns (final_games, gamebook_read, play_by_play_read),
-- and its *_digest CTE hashes those rows whole, so a digest covers every column the transform
-- reads. The engine runs a *_digest CTE on its own (with the CTEs it needs) to see whether a
-- day's inputs changed since the day was written.
WITH

final_games AS (
  SELECT
    game_date,
    home_team_tricode,
    away_team_tricode,
    home_team_score,
    away_team_score,
    season_year
  FROM nba_raw.nbac_schedule
  WHERE game_date BETWEEN @start_date AND @end_date
    AND game_status = 3
),

gamebook_read AS (
  SELECT
    game_id,
    game_date,
    season_year,
    home_team_abbr,
    away_team_abbr,
    player_name,
    player_lookup,
    team_abbr,
    player_status,
    dnp_reason,
    minutes,
    points,
    field_goals_made,
    field_goals_attempted,
    three_pointers_made,
    three_pointers_attempted,
    free_throws_made,
    free_throws_attempted,
    offensive_rebounds,
    defensive_rebounds,
    assists,
    steals,
    blocks,
    turnovers,
    personal_fouls,
    plus_minus
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN @start_date AND @end_date
),

gamebook AS (
  SELECT
    game_id,
    game_date,
    season_year,
    home_team_abbr,
    away_team_abbr,
    player_name,
    player_lookup,
    team_abbr,
    player_status,
    LOWER(TRIM(player_status)) AS status,
    dnp_reason,
    TRIM(minutes) AS minutes,
    CASE
      WHEN REGEXP_CONTAINS(TRIM(minutes), r'^[0-9]+:[0-5][0-9]$') THEN
        SAFE_CAST(SPLIT(TRIM(minutes), ':')[SAFE_OFFSET(0)] AS INT64) * 60
        + SAFE_CAST(SPLIT(TRIM(minutes), ':')[SAFE_OFFSET(1)] AS INT64)
      WHEN REGEXP_CONTAINS(TRIM(minutes), r'^[0-9]+([.][0-9]+)?$') THEN
        CAST(ROUND(SAFE_CAST(TRIM(minutes) AS FLOAT64) * 60) AS INT64)
    END AS seconds_played,
    points,
    field_goals_made,
    field_goals_attempted,
    three_pointers_made,
    three_pointers_attempted,
    free_throws_made,
    free_throws_attempted,
    offensive_rebounds,
    defensive_rebounds,
    assists,
    steals,
    blocks,
    turnovers,
    personal_fouls,
    plus_minus
  FROM gamebook_read
),

-- Pitfall 2: from 2024-25 BigDataBall prefixes lookups with the player id
-- ("1630552jalenjohnson"); a leading run of digits is stripped before any join.
play_by_play_read AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    event_type,
    event_subtype,
    player_1_lookup,
    player_2_lookup,
    player_2_role,
    shot_made,
    shot_distance,
    data_source
  FROM nba_raw.bigdataball_play_by_play
  WHERE game_date BETWEEN @start_date AND @end_date
),

play_by_play AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    LOWER(TRIM(event_type)) AS event_type,
    LOWER(TRIM(event_subtype)) AS event_subtype,
    REGEXP_REPLACE(player_1_lookup, r'^[0-9]+', '') AS player_1_lookup,
    REGEXP_REPLACE(player_2_lookup, r'^[0-9]+', '') AS player_2_lookup,
    LOWER(TRIM(player_2_role)) AS player_2_role,
    shot_made,
    shot_distance,
    data_source
  FROM play_by_play_read
),

-- Pitfall 1: minutes arrive as "MM:SS" ("45:58" is 45 + 58/60 = 45.9667); plain "36" and
-- "36.5" are accepted (to the second); NULL, '', '-' and anything else match no pattern and
-- stay NULL. Minutes are counted in whole seconds so that team totals are exact integer sums:
-- a float sum would depend on the order rows are added, and a day computed alone would differ
-- in the last bit from the same day computed in a batch.
box AS (
  SELECT
    gamebook.*,
    seconds_played / 60 AS minutes_exact,
    final_games.home_team_score,
    final_games.away_team_score,
    final_games.season_year AS schedule_season_year
  FROM gamebook
  INNER JOIN final_games
    ON gamebook.game_date = final_games.game_date
    AND gamebook.home_team_abbr = final_games.home_team_tricode
    AND gamebook.away_team_abbr = final_games.away_team_tricode
),

-- Usage rate needs the team's totals from the same gamebook.
team_totals AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    team_abbr,
    SUM(seconds_played) / 60 AS team_minutes,
    SUM(field_goals_attempted) AS team_fga,
    SUM(free_throws_attempted) AS team_fta,
    SUM(turnovers) AS team_tov
  FROM box
  GROUP BY game_date, home_team_abbr, away_team_abbr, team_abbr
),

starters AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    team_abbr,
    player_lookup,
    ROW_NUMBER() OVER (
      PARTITION BY game_date, home_team_abbr, away_team_abbr, team_abbr
      ORDER BY minutes_exact DESC, player_lookup
    ) <= 5 AS is_starter
  FROM box
  WHERE minutes_exact IS NOT NULL
),

-- One source per game (a game is scraped from one feed); MIN makes the pick deterministic.
pbp_games AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    MIN(data_source) AS shot_zones_source
  FROM play_by_play
  GROUP BY game_date, home_team_abbr, away_team_abbr
),

-- Zone of each field-goal attempt: a '3pt' subtype or 23.75 ft and beyond is a three (the
-- label wins over a short recorded distance); 8 ft and closer is the paint; the rest, including
-- a shot without a distance, is mid-range, so the three zones always add up to the attempts.
shots AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    player_1_lookup,
    player_2_lookup,
    player_2_role,
    COALESCE(shot_made, FALSE) AS shot_made,
    CASE
      WHEN event_subtype LIKE '%3pt%' OR shot_distance >= 23.75 THEN 'three'
      WHEN shot_distance <= 8.0 THEN 'paint'
      ELSE 'mid_range'
    END AS zone
  FROM play_by_play
  WHERE event_type = 'shot'
),

-- Unassisted makes are the made shots without an assist, so assisted + unassisted = makes.
shooter_zones AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    player_1_lookup AS player_lookup,
    COUNT(*) AS pbp_attempts,
    COUNTIF(zone = 'paint') AS paint_attempts,
    COUNTIF(zone = 'paint' AND shot_made) AS paint_makes,
    COUNTIF(zone = 'mid_range') AS mid_range_attempts,
    COUNTIF(zone = 'mid_range' AND shot_made) AS mid_range_makes,
    COUNTIF(zone = 'three') AS three_attempts_pbp,
    COUNTIF(zone = 'three' AND shot_made) AS three_makes_pbp,
    COUNTIF(shot_made AND player_2_role = 'assist') AS assisted_fg_makes,
    COUNTIF(shot_made AND COALESCE(player_2_role, '') != 'assist') AS unassisted_fg_makes
  FROM shots
  GROUP BY game_date, home_team_abbr, away_team_abbr, player_1_lookup
),

and_ones AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    player_1_lookup AS player_lookup,
    COUNT(*) AS and1_count
  FROM play_by_play
  WHERE event_subtype = 'free throw 1/1'
  GROUP BY game_date, home_team_abbr, away_team_abbr, player_1_lookup
),

-- Blocks go to the blocker (player_2), in the zone of the shot they blocked.
blocker_zones AS (
  SELECT
    game_date,
    home_team_abbr,
    away_team_abbr,
    player_2_lookup AS player_lookup,
    COUNTIF(zone = 'paint') AS paint_blocks,
    COUNTIF(zone = 'mid_range') AS mid_range_blocks,
    COUNTIF(zone = 'three') AS three_pt_blocks
  FROM shots
  WHERE player_2_role = 'block'
  GROUP BY game_date, home_team_abbr, away_team_abbr, player_2_lookup
),

players AS (
  SELECT
    box.*,
    pbp_games.shot_zones_source,
    pbp_games.game_date IS NOT NULL AND box.minutes_exact IS NOT NULL AS has_zones,
    COALESCE(starters.is_starter, FALSE) AS starter_flag,
    team_totals.team_minutes,
    team_totals.team_fga,
    team_totals.team_fta,
    team_totals.team_tov,
    shooter_zones.pbp_attempts,
    shooter_zones.paint_attempts,
    shooter_zones.paint_makes,
    shooter_zones.mid_range_attempts,
    shooter_zones.mid_range_makes,
    shooter_zones.three_attempts_pbp,
    shooter_zones.three_makes_pbp,
    shooter_zones.assisted_fg_makes,
    shooter_zones.unassisted_fg_makes,
    and_ones.and1_count,
    blocker_zones.paint_blocks,
    blocker_zones.mid_range_blocks,
    blocker_zones.three_pt_blocks
  FROM box
  LEFT JOIN pbp_games
    ON box.game_date = pbp_games.game_date
    AND box.home_team_abbr = pbp_games.home_team_abbr
    AND box.away_team_abbr = pbp_games.away_team_abbr
  LEFT JOIN starters
    ON box.game_date = starters.game_date
    AND box.home_team_abbr = starters.home_team_abbr
    AND box.away_team_abbr = starters.away_team_abbr
    AND box.team_abbr = starters.team_abbr
    AND box.player_lookup = starters.player_lookup
  LEFT JOIN team_totals
    ON box.game_date = team_totals.game_date
    AND box.home_team_abbr = team_totals.home_team_abbr
    AND box.away_team_abbr = team_totals.away_team_abbr
    AND box.team_abbr = team_totals.team_abbr
  LEFT JOIN shooter_zones
    ON box.game_date = shooter_zones.game_date
    AND box.home_team_abbr = shooter_zones.home_team_abbr
    AND box.away_team_abbr = shooter_zones.away_team_abbr
    AND box.player_lookup = shooter_zones.player_lookup
  LEFT JOIN and_ones
    ON box.game_date = and_ones.game_date
    AND box.home_team_abbr = and_ones.home_team_abbr
    AND box.away_team_abbr = and_ones.away_team_abbr
    AND box.player_lookup = and_ones.player_lookup
  LEFT JOIN blocker_zones
    ON box.game_date = blocker_zones.game_date
    AND box.home_team_abbr = blocker_zones.home_team_abbr
    AND box.away_team_abbr = blocker_zones.away_team_abbr
    AND box.player_lookup = blocker_zones.player_lookup
),

-- Per day and raw input: its rows as read above, counted and digested (BIT_XOR of a hash per
-- row: the same rows in any order give the same digest, one changed value another).
schedule_digest AS (
  SELECT
    game_date AS day,
    COUNT(*) AS row_count,
    BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(final_games))) AS digest
  FROM final_games
  GROUP BY game_date
),

gamebook_digest AS (
  SELECT
    game_date AS day,
    COUNT(*) AS row_count,
    BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(gamebook_read))) AS digest
  FROM gamebook_read
  GROUP BY game_date
),

play_by_play_digest AS (
  SELECT
    game_date AS day,
    COUNT(*) AS row_count,
    BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(play_by_play_read))) AS digest
  FROM play_by_play_read
  GROUP BY game_date
),

-- The rows, in the column order of create_player_game_summary.sql; data_hash hashes them whole.
summary AS (
  SELECT
    player_lookup,
    player_name AS player_full_name,
    game_id,
    game_date,
    team_abbr,
    IF(team_abbr = home_team_abbr, away_team_abbr, home_team_abbr) AS opponent_team_abbr,
    COALESCE(season_year, schedule_season_year) AS season_year,
    points,
    ROUND(minutes_exact, 2) AS minutes_played,
    assists,
    offensive_rebounds,
    defensive_rebounds,
    steals,
    blocks,
    turnovers,
    field_goals_attempted AS fg_attempts,
    field_goals_made AS fg_makes,
    three_pointers_attempted AS three_pt_attempts,
    three_pointers_made AS three_pt_makes,
    free_throws_attempted AS ft_attempts,
    free_throws_made AS ft_makes,
    plus_minus,
    personal_fouls,
    IF(has_zones, COALESCE(paint_attempts, 0), NULL) AS paint_attempts,
    IF(has_zones, COALESCE(paint_makes, 0), NULL) AS paint_makes,
    IF(has_zones, COALESCE(mid_range_attempts, 0), NULL) AS mid_range_attempts,
    IF(has_zones, COALESCE(mid_range_makes, 0), NULL) AS mid_range_makes,
    IF(has_zones, COALESCE(three_attempts_pbp, 0), NULL) AS three_attempts_pbp,
    IF(has_zones, COALESCE(three_makes_pbp, 0), NULL) AS three_makes_pbp,
    has_zones AND COALESCE(pbp_attempts, 0) = COALESCE(field_goals_attempted, 0)
      AS has_complete_shot_zones,
    IF(has_zones, COALESCE(assisted_fg_makes, 0), NULL) AS assisted_fg_makes,
    IF(has_zones, COALESCE(unassisted_fg_makes, 0), NULL) AS unassisted_fg_makes,
    IF(has_zones, COALESCE(and1_count, 0), NULL) AS and1_count,
    IF(has_zones, COALESCE(paint_blocks, 0), NULL) AS paint_blocks,
    IF(has_zones, COALESCE(mid_range_blocks, 0), NULL) AS mid_range_blocks,
    IF(has_zones, COALESCE(three_pt_blocks, 0), NULL) AS three_pt_blocks,
    -- TS% = PTS / (2 * (FGA + 0.44 * FTA)); eFG% = (FGM + 0.5 * 3PM) / FGA; NULL on a zero base.
    SAFE_DIVIDE(points, 2 * (field_goals_attempted + 0.44 * free_throws_attempted)) AS ts_pct,
    SAFE_DIVIDE(field_goals_made + 0.5 * three_pointers_made, field_goals_attempted) AS efg_pct,
    -- Basketball-Reference usage, from exact (unrounded) minutes:
    -- 100 * ((FGA + 0.44*FTA + TOV) * (team minutes / 5)) / (MP * (tm FGA + 0.44*tm FTA + tm TOV)).
    SAFE_DIVIDE(
      100 * (field_goals_attempted + 0.44 * free_throws_attempted + turnovers) * (team_minutes / 5),
      minutes_exact * (team_fga + 0.44 * team_fta + team_tov)
    ) AS usage_rate,
    starter_flag,
    CASE
      WHEN team_abbr = home_team_abbr THEN home_team_score > away_team_score
      WHEN team_abbr = away_team_abbr THEN away_team_score > home_team_score
    END AS win_flag,
    COALESCE(status = 'active', FALSE) AS is_active,
    player_status,
    COALESCE(status = 'dnp', FALSE) AS is_dnp,
    dnp_reason,
    'nbac_gamebook' AS primary_source_used,
    shot_zones_source
  FROM players
)

SELECT
  summary.*,
  CURRENT_TIMESTAMP() AS processed_at,
  CAST(FARM_FINGERPRINT(TO_JSON_STRING(summary)) AS STRING) AS data_hash,
  @transform_version AS transform_version,
  COALESCE(CAST(schedule_digest.digest AS STRING), '0') AS source_schedule_hash,
  COALESCE(schedule_digest.row_count, 0) AS source_schedule_rows_found,
  COALESCE(CAST(gamebook_digest.digest AS STRING), '0') AS source_nbac_hash,
  COALESCE(gamebook_digest.row_count, 0) AS source_nbac_rows_found,
  COALESCE(CAST(play_by_play_digest.digest AS STRING), '0') AS source_bbd_hash,
  COALESCE(play_by_play_digest.row_count, 0) AS source_bbd_rows_found
FROM summary
LEFT JOIN schedule_digest
  ON summary.game_date = schedule_digest.day
LEFT JOIN gamebook_digest
  ON summary.game_date = gamebook_digest.day
LEFT JOIN play_by_play_digest
  ON summary.game_date = play_by_play_digest.day
