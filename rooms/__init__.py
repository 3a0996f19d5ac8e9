"""mentorcall rooms package."""
