"""A session's notes as Markdown: the shared text, the action items (their owners by
name where a name is known), and the reader's own private notes (never anyone else's)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rooms.notes.model import ActionItem

# Characters that would start Markdown structure inside a one-line label (a link,
# emphasis, code, an HTML tag, a table cell) are written escaped.
_MARKUP = re.compile(r"([\\`*_\[\]<>()#|~!{}])")


def label(value: str) -> str:
    """A name or an identity as plain inline text: one line (newlines and other
    whitespace runs become one space), Markdown markup escaped."""
    return _MARKUP.sub(r"\\\1", " ".join(value.split()))


def item_line(item: ActionItem, names: Mapping[str, str] | None = None) -> str:
    box = "x" if item.done else " "
    owner = (names or {}).get(item.owner) or item.owner
    extra = [f"@{label(owner)}"] if label(owner) else []
    if item.due:
        extra.append(f"due {label(item.due)}")
    tail = f" ({', '.join(extra)})" if extra else ""
    text = " ".join(item.text.split()) or "(no text)"
    return f"- [{box}] {text}{tail}"


def notes_markdown(title: str, shared: str, items: Sequence[ActionItem],
                   private: str | None, names: Mapping[str, str] | None = None) -> str:
    """``names``: display names by identity, for the items' owners (an owner without
    one is written as their identity)."""
    parts = [f"# {title or 'Session notes'}", "", shared.strip() or "_No shared notes._", "",
             "## Action items", ""]
    parts += [item_line(i, names) for i in items] or ["_None._"]
    if private is not None:
        parts += ["", "## My private notes", "", private.strip() or "_None._"]
    return "\n".join(parts) + "\n"
