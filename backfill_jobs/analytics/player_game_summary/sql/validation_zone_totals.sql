-- Player-games of [@start_date, @end_date] with play-by-play zones, and how many of them have
-- paint + mid-range + three attempts equal to the box score's field-goal attempts.
SELECT
  COUNTIF(paint_attempts IS NOT NULL) AS player_games_with_zones,
  COUNTIF(paint_attempts + mid_range_attempts + three_attempts_pbp = fg_attempts)
    AS zones_match_fga
FROM nba_analytics.player_game_summary
WHERE game_date BETWEEN @start_date AND @end_date
