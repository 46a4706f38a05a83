"""Pieces the admin's lists share: read-only pages, checked sidebar filters, bounded counts, row
buttons that come back to the list, search as you type."""

from collections.abc import Iterable
from functools import cached_property
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.text import capfirst

# The largest id SQLite and PostgreSQL store: a larger number in a URL overflows the driver.
LARGEST_DATABASE_ID = 2**63 - 1


class ListTitleMixin:
    """A list titled by what it lists ("Balances"), not Django's "Select balance to change"."""

    list_title = ""

    def changelist_view(self, request, extra_context=None):
        title = self.list_title or capfirst(self.model._meta.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})


class ReadOnlyAdminMixin:
    """For what this tool only shows: LibreChat's users and transactions, and the audit history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CheckedFilter(admin.SimpleListFilter):
    """A sidebar filter that refuses what it does not understand: a message, and no rows.

    Showing every row for an unknown value would let "select all" reach everyone. A value given
    twice (`?f=on&f=maybe`) is refused too, rather than silently using the last one. Subclasses
    say what a value means in `filter()` and, when their values are not a fixed list of choices,
    what is wrong with one in `problem_with()`.
    """

    # Parameters of other filters this one replaces when chosen (alternative ways to say one thing).
    replaces: list[str] = []

    def __init__(self, request, params, model, model_admin):
        self.given_values = list(params.get(self.parameter_name, []))
        super().__init__(request, params, model, model_admin)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if self.replaces and "query_string" in choice:
                # Keep this filter's own value from the link, drop the filters it replaces.
                query = QueryDict(choice["query_string"].removeprefix("?"), mutable=True)
                for name in self.replaces:
                    query.pop(name, None)
                choice["query_string"] = f"?{query.urlencode()}"
            yield choice

    def problem_with(self, value: str) -> str | None:
        if value in {str(choice) for choice, _ in self.lookup_choices}:
            return None
        return f"{value!r} is not one of this filter's choices."

    def filter(self, request, queryset, value: str):
        raise NotImplementedError

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if len(set(self.given_values)) > 1:
            problem = f"{len(set(self.given_values))} different values were given; choose one."
        else:
            problem = self.problem_with(value)
        if problem:
            messages.error(request, f"{str(self.title).capitalize()}: {problem} No rows are shown.")
            return queryset.none()
        return self.filter(request, queryset, value)


class ActionsOnlyAdminMixin:
    """For what staff change only through actions (decisions, resends): no add, no delete, no save buttons."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)


class TypedValueFilter(CheckedFilter):
    """A sidebar filter whose value is typed (a threshold, a date), not chosen from a list."""

    template = "admin/typed_value_filter.html"
    input_type = "text"
    placeholder = ""

    def lookups(self, request, model_admin):
        return [("", "")]

    def has_output(self):
        return True

    def problem_with(self, value: str) -> str | None:
        raise NotImplementedError

    def choices(self, changelist):
        # The form resubmits the other active filters and the search as hidden inputs.
        dropped = {self.parameter_name, *self.replaces}
        kept = [(key, value) for key, value in changelist.params.items() if key not in dropped]
        yield {"query_parts": kept}


def database_id_problem(text: str) -> str | None:
    """What is wrong with `text` as one of our databases' integer ids; None when it is one."""
    if not text.isdigit() or not text.isascii():
        return f"{text!r} is not a number."
    if not 0 < int(text) <= LARGEST_DATABASE_ID:
        return f"{text} is out of range: there is no such row."
    return None


class OverflowSafeListMixin:
    """For a ModelAdmin with a `date_hierarchy`."""

    def get_changelist(self, request, **kwargs):
        return OverflowSafeChangeList


class OverflowSafeChangeList(ChangeList):
    """Django turns `?created_at__year=` into a datetime and lets a huge year overflow (a 500) where a
    bad one fails validation. Treated as Django treats a bad one: the address is refused, and why."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            messages.error(request, "A date in the address is out of range; it was ignored.")
            raise IncorrectLookupParameters(exc) from exc


class ExactValueFilter(CheckedFilter):
    """A field matched exactly, with its usual values as choices (never a DISTINCT over the
    collection). Any other single value is allowed: it matches exactly, so at worst nothing."""

    field_path = ""
    known_values: list[str] = []
    max_length = 200

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.known_values]

    def problem_with(self, value: str) -> str | None:
        return None if len(value) <= self.max_length else "the value is too long."

    def filter(self, request, queryset, value: str):
        return queryset.filter(**{self.field_path: value})


class BoundedCountPaginator(Paginator):
    """Counts no further than `count_limit` rows, so that a page over millions of rows does not read
    them all to number its pages; past the limit the list says "more than N".

    An unfiltered list may take its total from the database's own statistics: `estimated_total()`.
    """

    count_limit = 10_000
    count_is_capped = False

    def estimated_total(self) -> int | None:
        return None

    @cached_property
    def count(self) -> int:
        if not self.object_list.query.has_filters():
            total = self.estimated_total()
            if total is not None:
                return total
        counted = self.object_list[: self.count_limit + 1].count()
        self.count_is_capped = counted > self.count_limit
        return min(counted, self.count_limit)


class SearchAsYouTypeMixin:
    """Lists whose search box updates the rows while the operator types (web/search_as_you_type.js)."""

    class Media:
        js = [forms.Script("web/search_as_you_type.js", defer=True)]


class RowButtonsChangeList(ChangeList):
    """Remembers the list's address (filters, search, page) on each row, for row buttons that come back to it."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        for row in self.result_list:
            row.list_path = request.get_full_path()


def link_buttons(links: Iterable[tuple[str, str]], return_to: str) -> SafeString:
    """Small buttons (url, label) to pages that come back to `return_to` when done or cancelled."""
    query = f"?{urlencode({'next': return_to})}" if return_to else ""
    rows = ((url, query, label) for url, label in links)
    return format_html_join(" ", '<a class="button row-button" href="{}{}">{}</a>', rows)


def return_url(request) -> str:
    """The page the operator came from (`next`, posted or in the address) when it is one of ours, else ""."""
    url = request.POST.get("next") or request.GET.get("next", "")
    ours = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if ours else ""


def list_url(model_admin, request) -> str:
    """The model's list with the filters of the page a multi-step action was started from."""
    opts = model_admin.model._meta
    query = request.GET.copy()
    query.pop("next", None)
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + (f"?{query.urlencode()}" if query else "")
