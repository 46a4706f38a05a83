import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from librechat.credits import parse_credits


@pytest.mark.parametrize(
    "text", ["²", "①", "--5", "-5", "5,5", "1,2,3", "1.5", "1e6", "", " ", "٣", "1" * 5000, "1,000_000", "0x10"]
)
def test_it_refuses_anything_but_plain_digits_with_a_message(text):
    with pytest.raises(ValidationError, match=r"whole number|at least|at most"):
        parse_credits(text)


@pytest.mark.parametrize(
    ("text", "credits"), [("5000000", 5_000_000), ("5,000,000", 5_000_000), ("5_000", 5000), (" 42 ", 42), (7, 7)]
)
def test_it_reads_digits_and_thousands_groups(text, credits):
    assert parse_credits(text) == credits


def test_it_enforces_the_minimum_and_max_credit_amount(settings):
    settings.MAX_CREDIT_AMOUNT = 100
    with pytest.raises(ValidationError, match="at least 1"):
        parse_credits("0", minimum_credits=1)
    with pytest.raises(ValidationError, match="at most 100"):
        parse_credits("101")


def test_it_refuses_bools_and_floats():
    for value in (True, 1.0, None):
        with pytest.raises(ValidationError):
            parse_credits(value)


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.binary()))
def test_random_input_gives_an_amount_or_a_validation_error(value):
    try:
        amount = parse_credits(value)
    except ValidationError:
        return
    assert isinstance(amount, int) and amount >= 0
