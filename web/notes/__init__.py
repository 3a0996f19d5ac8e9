"""The HTTP side of notes: export, action items (docs/notes-api.md)."""
