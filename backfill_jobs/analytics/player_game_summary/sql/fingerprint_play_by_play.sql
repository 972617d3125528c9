-- Input fingerprint of the play-by-play events, per day of [@start_date, @end_date]: how many, and
-- an order-independent digest (BIT_XOR of a hash per row) of the columns the transform reads.
-- Late play-by-play (often 45 hours after the game) turns "0 events" into thousands here.
SELECT
  game_date AS day,
  COUNT(*) AS row_count,
  BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(
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
  )))) AS digest
FROM nba_raw.bigdataball_play_by_play
WHERE game_date BETWEEN @start_date AND @end_date
GROUP BY game_date
