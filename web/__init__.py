"""mentorcall web package."""
