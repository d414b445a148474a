"""Reusable widgets of the convsim TUI; each owns its behaviour, screens only compose them."""
