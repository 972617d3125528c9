"""Jobs that precompute model features from the analytics tables."""
