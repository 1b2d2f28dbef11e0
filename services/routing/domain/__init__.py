"""Routing's pure domain: the authority list, the lowest-capable-level walk, returns, joint handling, what-if."""
