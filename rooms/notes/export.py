"""A session's notes as Markdown: the shared text, the action items, and the reader's
own private notes (never anyone else's)."""

from __future__ import annotations

from collections.abc import Sequence

from rooms.notes.model import ActionItem


def item_line(item: ActionItem) -> str:
    box = "x" if item.done else " "
    extra = [f"@{item.owner}"] if item.owner else []
    if item.due:
        extra.append(f"due {item.due}")
    tail = f" ({', '.join(extra)})" if extra else ""
    text = " ".join(item.text.split()) or "(no text)"
    return f"- [{box}] {text}{tail}"


def notes_markdown(title: str, shared: str, items: Sequence[ActionItem],
                   private: str | None) -> str:
    parts = [f"# {title or 'Session notes'}", "", shared.strip() or "_No shared notes._", "",
             "## Action items", ""]
    parts += [item_line(i) for i in items] or ["_None._"]
    if private is not None:
        parts += ["", "## My private notes", "", private.strip() or "_None._"]
    return "\n".join(parts) + "\n"
