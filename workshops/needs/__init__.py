"""Needs: stated live in breakouts, voted on, merged, and fed into use cases."""
