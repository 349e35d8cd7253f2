"""Workshops, test beds, breakouts and registration with waiting lists."""
