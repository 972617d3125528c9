"""Test doubles: stand-ins for what the tests and the bench cannot reach (BigQuery)."""
