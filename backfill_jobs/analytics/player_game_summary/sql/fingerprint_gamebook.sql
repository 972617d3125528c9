-- Input fingerprint of the gamebook rows, per day of [@start_date, @end_date]: how many, and an
-- order-independent digest (BIT_XOR of a hash per row) of every column the transform reads.
SELECT
  game_date AS day,
  COUNT(*) AS row_count,
  BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(
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
  )))) AS digest
FROM nba_raw.nbac_gamebook_player_stats
WHERE game_date BETWEEN @start_date AND @end_date
GROUP BY game_date
