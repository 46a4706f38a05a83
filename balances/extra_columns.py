"""Columns about users that apps above this one add to its lists (a user's credit policy).

`balances` may not import those apps: they register a column here from their AppConfig.ready(),
and the admin lists, the user's page and `list_balances` show and filter by every registered one.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bson import ObjectId
from django.utils.html import format_html
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Label:
    text: str
    url: str | None = None  # the admin page of what the label names


@dataclass(frozen=True)
class UserColumn:
    name: str  # the column's name in `list_balances` and the filter's URL parameter
    title: str
    # {user id: label} for a page of users, in one call (never per row); users left out show blank.
    labels: Callable[[list[ObjectId]], dict[ObjectId, Label]]
    # (value, label) for each choice of the filter.
    choices: Callable[[], list[tuple[str, str]]]
    # A MongoDB filter on `users` for the users a choice names; None when it names nothing.
    users_filter: Callable[[str], dict | None]


USER_COLUMNS: list[UserColumn] = []


def register(column: UserColumn) -> None:
    USER_COLUMNS[:] = [*(known for known in USER_COLUMNS if known.name != column.name), column]


def labels_for(user_ids: Iterable[ObjectId]) -> dict[str, dict[ObjectId, Label]]:
    """{column name: {user id: label}} for a page of users."""
    user_ids = list(dict.fromkeys(user_id for user_id in user_ids if user_id))
    return {column.name: column.labels(user_ids) for column in USER_COLUMNS}


def attach_labels(rows: list, user_id_of: Callable[[object], ObjectId | None]) -> None:
    """Sets `row.extra_labels` ({column name: label or None}) on a page of rows, one call per column."""
    labels = labels_for(user_id_of(row) for row in rows)
    for row in rows:
        row.extra_labels = {name: found.get(user_id_of(row)) for name, found in labels.items()}


def label_html(label: Label | None) -> SafeString | str:
    if label is None:
        return ""
    return format_html('<a href="{}">{}</a>', label.url, label.text) if label.url else label.text
