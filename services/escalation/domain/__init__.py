"""Escalation domain: time-limit policies, clocks, the ladder and its timers. Pure: no I/O, no clock."""
