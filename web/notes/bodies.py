"""Request bodies and views of the notes endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool

from rooms.notes.model import ActionItem, ScopeItems


class ItemPatch(BaseModel):
    """Body of ``PATCH .../items/{item_id}``: close (``true``) or reopen (``false``)."""

    model_config = ConfigDict(extra="forbid")

    done: StrictBool


class ItemsView(BaseModel):
    """A pair's or series' action items across its sessions, oldest first."""

    scope: str
    items: list[ActionItem]


class PersonItemsView(BaseModel):
    """Answer of ``GET /api/notes/items``: the caller's open action items per pair and
    series (docs/notes-api.md says which)."""

    identity: str
    scopes: list[ScopeItems]
