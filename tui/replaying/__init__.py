"""``convsim replay``: resend recorded customer messages to a bot and compare its answers."""
