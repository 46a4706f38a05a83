import pytest

from web.spreadsheet import escape_formula


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\tx", "\rx"])
def test_formula_like_text_is_escaped(text):
    assert escape_formula(text) == "'" + text


def test_plain_text_and_numbers_are_left_alone():
    assert escape_formula("Alice") == "Alice"
    assert escape_formula(-5) == -5
