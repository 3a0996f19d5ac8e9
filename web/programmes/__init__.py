"""The REST API of mentoring programmes (see docs/programmes-api.md)."""
