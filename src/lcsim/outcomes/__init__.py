"""Outcome metrics: the registry of names and meanings, and their computation from a replication's tables."""
