"""The admin REST API of recordings (see docs/recordings-api.md)."""
