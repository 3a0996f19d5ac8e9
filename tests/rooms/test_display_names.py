"""Display names: at least one visible character, any script (check_display_name)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from rooms.models import DisplayName, check_display_name

NAMES = TypeAdapter(DisplayName)

# Characters that show nothing on their own: the joiners and direction marks names may
# carry, combining marks (Mn, Me), the Hangul fillers (letters drawn blank) and spaces.
ALLOWED_FORMAT = "\u200c\u200d\u200e\u200f"
FILLERS = "\u115f\u1160\u3164\uffa0"
INVISIBLE = st.one_of(
    st.sampled_from(ALLOWED_FORMAT + FILLERS + " \u00a0\u3000"),
    st.characters(categories=["Mn", "Me"]),
)

# Base letters, digits and symbols of several scripts (each visible on its own) ...
ARABIC = "محمدعلىفاطمة"
HEBREW = "דודשרהיצחק"
CJK = "王小明李华田中さくら한국어"
DEVANAGARI = "अनलकमरशषत"
LATIN = "ZoëÑandúOBrien'-."
DIGITS_AND_SYMBOLS = "0123\u0664\u0665\u096c\U0001f600"  # Arabic-Indic, Devanagari, emoji
VISIBLE = st.sampled_from(ARABIC + HEBREW + CJK + DEVANAGARI + LATIN + DIGITS_AND_SYMBOLS)
# ... and the marks that go with them: Arabic tanwin/harakat, Hebrew points, Devanagari
# vowel signs and virama (Mn and Mc).
MARKS = st.sampled_from("ְִָًَِिु्ीे")


@given(st.text(INVISIBLE, min_size=1, max_size=20))
def test_a_name_of_only_invisible_characters_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="visible character"):
        check_display_name(name)
    with pytest.raises(ValidationError):
        NAMES.validate_python(name)


@pytest.mark.parametrize("name", [
    "\u200f\u200f\u200f",  # three right-to-left marks
    "\u0301\u0301",  # combining acute accents alone
    "\u115f", "\u3164", "\uffa0", "\u1160\u115f",  # Hangul fillers
    " \u200d \u200c ",
])
def test_the_reviewers_invisible_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="visible character"):
        check_display_name(name)


@given(st.text(INVISIBLE, max_size=5), VISIBLE, st.text(VISIBLE | MARKS | INVISIBLE, max_size=30))
def test_a_name_with_a_visible_character_of_any_script_is_accepted(
        before: str, visible: str, after: str) -> None:
    name = before + visible + after
    assert check_display_name(name) == name.strip()


@pytest.mark.parametrize("name", [
    "محمد", "فاطمة\u200c الزهراء", "יִצְחָק", "王小明", "さくら", "한국어",
    "अनिल कुमार", "क्षत्रिय", "\u200fمحمد\u200f", "Zoë \u200d",
])
def test_names_in_non_latin_scripts_are_accepted(name: str) -> None:
    assert NAMES.validate_python(name) == name.strip()
