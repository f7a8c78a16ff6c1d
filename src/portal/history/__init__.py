"""The ledger's history from git: versions oldest first, per-task states, changes, timelines."""
