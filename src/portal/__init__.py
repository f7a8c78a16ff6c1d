"""Progress Portal: a static progress portal built with MkDocs from a YAML ledger."""

__version__ = "0.2.0"
