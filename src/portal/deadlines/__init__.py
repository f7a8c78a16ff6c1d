"""Deadlines: reading how plans word them, the calendar, and due states at an as-of date."""
