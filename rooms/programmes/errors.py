"""Errors of the programmes capability: a stable code, a sentence and (for imports) rows.

These codes cross the REST API only (docs/programmes-api.md), so they are kept apart from
the room error codes of the Socket.IO protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProgrammeCode = Literal[
    "programme_not_found",
    "invalid_import",
    "invalid_json",
    "bad_encoding",
    "wrong_columns",
    "programme_infeasible",
    "not_matched",
    "pair_not_found",
    "pair_excluded",
    "intro_not_found",
    "slot_not_offered",
    "pool_too_small",
    "publish_in_progress",
    "coffee_round_in_progress",
    "coffee_round_exists",
    "week_out_of_range",
    "matching_too_large",
]


@dataclass(frozen=True)
class RowError:
    """Why one row (1-based, the header is row 1 in a CSV) was refused."""

    row: int
    reason: str
    key: str = ""


class ProgrammeError(Exception):
    """A refusal with a stable code; an import refusal lists every bad row."""

    def __init__(self, code: ProgrammeCode, message: str,
                 rows: tuple[RowError, ...] = ()) -> None:
        super().__init__(message)
        self.code: ProgrammeCode = code
        self.message = message
        self.rows = rows
