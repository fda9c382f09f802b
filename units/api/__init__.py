"""REST API of the unit directory (read-only)."""
