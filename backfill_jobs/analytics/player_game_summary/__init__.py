"""The player_game_summary analytics job: its SQL, processor and CLI."""
