-- Where the games of a held day went missing: the gamebook rows of each of its games, and
-- whether the schedule has it final (a game is written only when both hold). The range is the
-- held day alone.
SELECT
  gamebook.game_id,
  COUNT(*) AS gamebook_rows,
  LOGICAL_OR(final_games.game_date IS NOT NULL) AS final
FROM nba_raw.nbac_gamebook_player_stats AS gamebook
LEFT JOIN (
  SELECT game_date, home_team_tricode, away_team_tricode
  FROM nba_raw.nbac_schedule
  WHERE game_date BETWEEN @start_date AND @end_date AND game_status = 3
) AS final_games
  ON gamebook.game_date = final_games.game_date
  AND gamebook.home_team_abbr = final_games.home_team_tricode
  AND gamebook.away_team_abbr = final_games.away_team_tricode
WHERE gamebook.game_date BETWEEN @start_date AND @end_date
GROUP BY gamebook.game_id
