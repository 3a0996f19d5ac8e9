"""mentorcall signaling package."""
