"""Open calls: accepted use cases published as numbered challenges, and their exports."""
