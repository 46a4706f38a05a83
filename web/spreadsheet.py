"""Text cells that a spreadsheet will show as text, never run as a formula.

LibreChat users choose their own names (and, with some providers, emails): a name such as
`=HYPERLINK(...)` must not become a live formula in an operator's spreadsheet (OWASP CSV injection).
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """A text value with a leading apostrophe when a spreadsheet would read it as a formula; others as given."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
