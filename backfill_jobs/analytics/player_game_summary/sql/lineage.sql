-- What the rows of each day of [@start_date, @end_date] say about how they were made: one row per
-- day and distinct lineage (a day written by one statement has exactly one), with its row count
-- and how many rows no longer match their data_hash (edited since they were written).
-- The content hash is the one player_game_summary.sql writes as data_hash: every column of the
-- table but processed_at and the lineage, in the table's order.
SELECT
  game_date AS day,
  transform_version,
  source_schedule_hash,
  source_schedule_rows_found,
  source_nbac_hash,
  source_nbac_rows_found,
  source_bbd_hash,
  source_bbd_rows_found,
  COUNT(*) AS row_count,
  COUNTIF(
    data_hash IS NULL
    OR data_hash != CAST(FARM_FINGERPRINT(TO_JSON_STRING(content)) AS STRING)
  ) AS changed_rows
FROM (
  SELECT
    game_date,
    transform_version,
    source_schedule_hash,
    source_schedule_rows_found,
    source_nbac_hash,
    source_nbac_rows_found,
    source_bbd_hash,
    source_bbd_rows_found,
    data_hash,
    STRUCT(
      player_lookup,
      player_full_name,
      game_id,
      game_date,
      team_abbr,
      opponent_team_abbr,
      season_year,
      points,
      minutes_played,
      assists,
      offensive_rebounds,
      defensive_rebounds,
      steals,
      blocks,
      turnovers,
      fg_attempts,
      fg_makes,
      three_pt_attempts,
      three_pt_makes,
      ft_attempts,
      ft_makes,
      plus_minus,
      personal_fouls,
      paint_attempts,
      paint_makes,
      mid_range_attempts,
      mid_range_makes,
      three_attempts_pbp,
      three_makes_pbp,
      has_complete_shot_zones,
      assisted_fg_makes,
      unassisted_fg_makes,
      and1_count,
      paint_blocks,
      mid_range_blocks,
      three_pt_blocks,
      ts_pct,
      efg_pct,
      usage_rate,
      starter_flag,
      win_flag,
      is_active,
      player_status,
      is_dnp,
      dnp_reason,
      primary_source_used,
      shot_zones_source
    ) AS content
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
)
GROUP BY
  game_date,
  transform_version,
  source_schedule_hash,
  source_schedule_rows_found,
  source_nbac_hash,
  source_nbac_rows_found,
  source_bbd_hash,
  source_bbd_rows_found
