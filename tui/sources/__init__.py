"""Run sources for the hybrid modes (play, connect); they need the channels package."""
