"""Every programme error code has an HTTP status and a row in docs/programmes-api.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from rooms.programmes.errors import ProgrammeCode
from web.programmes.routes import STATUS

DOC = Path(__file__).resolve().parents[3] / "docs" / "programmes-api.md"


def test_each_code_has_a_status_and_a_documented_row() -> None:
    table = DOC.read_text("utf-8").split("## Error codes", 1)[1].split("\n## ", 1)[0]
    documented = {code: int(status) for code, status in
                  re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", table, re.MULTILINE)}
    codes = set(get_args(ProgrammeCode))
    assert codes == set(STATUS)
    assert {code: STATUS[code] for code in codes} == {code: documented.get(code)
                                                       for code in codes}
