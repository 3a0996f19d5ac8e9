"""Read .ics text back with vobject, honestly: every TZID from the file's own VTIMEZONE.

Left to itself vobject resolves a TZID through a process-wide map that the first
VTIMEZONE of that name ever parsed fills, and falls back to pytz's bundled zones (which
know no rule after 2037): a test would then check pytz, or an earlier file, instead of
the definition we wrote. This reader clears that map and registers the file's own
definitions (read by dateutil's tzical) before vobject converts the dates.
"""

from __future__ import annotations

from typing import Any

import vobject  # type: ignore[import-untyped]
from vobject import icalendar as vical

_TZID_MAP: dict[str, Any] = vars(vical)["__tzidMap"]


def read_ics(text: str | bytes) -> Any:
    """The first component of ``text``, its dates in the file's own time zones."""
    if isinstance(text, bytes):
        text = text.decode()
    raw = vobject.readOne(text, transform=False)
    _TZID_MAP.clear()
    vical.registerTzid("UTC", vical.utc)
    for definition in raw.contents.get("vtimezone", []):
        vical.registerTzid(definition.tzid.value, vical.TimezoneComponent.gettzinfo(definition))
    return vobject.readOne(text)

