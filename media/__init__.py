"""mentorcall media package."""
