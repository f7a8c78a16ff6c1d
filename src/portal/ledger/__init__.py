"""The ledger: its model, YAML reading, the declared schema, loading and validation, formatting."""
