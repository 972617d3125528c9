"""The player_shot_zone_analysis precompute job: rolling shot-zone features, its SQL and CLI."""
