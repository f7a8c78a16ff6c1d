"""The monthly round: forms out to the departments, forms back into the ledger, who has reported."""
