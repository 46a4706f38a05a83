"""Filters of the audit lists: only choices that have rows, and a typed date range."""

from datetime import date, datetime, time

from django.utils import timezone

from ledger.models import ChangeBatch
from web.admin_lists import CheckedFilter, ExactValueFilter, TypedValueFilter, database_id_problem


class SourceFilter(CheckedFilter):
    """Sources that have batches (API and credit requests appear once they write something)."""

    title = "source"
    parameter_name = "source"
    field_path = "batch__source"

    def lookups(self, request, model_admin):
        # One index seek per source rather than a DISTINCT over every batch.
        return [(value, label) for value, label in ChangeBatch.Source.choices if _has_source(value)]

    def problem_with(self, value: str) -> str | None:
        # Every known source, listed or not yet: a source without batches simply has no rows.
        return None if value in ChangeBatch.Source.values else super().problem_with(value)

    def filter(self, request, queryset, value: str):
        return queryset.filter(**{self.field_path: value})


def _has_source(source: str) -> bool:
    return ChangeBatch.objects.filter(source=source).order_by().exists()


class BatchSourceFilter(SourceFilter):
    field_path = "source"


class BatchStateFilter(CheckedFilter):
    """Batches that need a look: the home page links here with its counts."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("running", "running"), ("stopped", "stopped before the end"), ("failed", "with failed rows")]

    def filter(self, request, queryset, value: str):
        if value == "running":
            return queryset.running()
        if value == "stopped":
            return queryset.stopped()
        return queryset.with_failed_rows()


class ActorFilter(ExactValueFilter):
    title = "actor"
    parameter_name = "actor"
    field_path = "batch__actor"

    def lookups(self, request, model_admin):
        actors = ChangeBatch.objects.order_by("actor").values_list("actor", flat=True).distinct()  # the actor index
        return [(actor, actor) for actor in actors]


class BatchFilter(CheckedFilter):
    """Set by the links on batch pages; shows which batch is selected so it can be cleared."""

    title = "batch"
    parameter_name = "batch__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        found = value and not database_id_problem(value) and ChangeBatch.objects.filter(pk=value).first()
        return [(str(found.pk), found.batch_id)] if found else []

    def has_output(self):
        # Shown (and applied) whenever a batch is asked for, even one that does not exist.
        return self.value() is not None

    def problem_with(self, value: str) -> str | None:
        return database_id_problem(value)

    def filter(self, request, queryset, value: str):
        return queryset.filter(batch_id=int(value))


class DateBoundFilter(TypedValueFilter):
    """`?created_from=YYYY-MM-DD` (and `created_to`, inclusive), typed in the sidebar."""

    input_type = "date"
    field_path = "created_at"
    lookup = "gte"

    def problem_with(self, value: str) -> str | None:
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a date (YYYY-MM-DD)."
        return None

    def filter(self, request, queryset, value: str):
        day = date.fromisoformat(value)
        bound = timezone.make_aware(datetime.combine(day, time.min if self.lookup == "gte" else time.max))
        return queryset.filter(**{f"{self.field_path}__{self.lookup}": bound})


class CreatedFromFilter(DateBoundFilter):
    title = "from date"
    parameter_name = "created_from"


class CreatedToFilter(DateBoundFilter):
    title = "to date (inclusive)"
    parameter_name = "created_to"
    lookup = "lte"


class ChangedFromFilter(CreatedFromFilter):
    field_path = "changed_at"


class ChangedToFilter(CreatedToFilter):
    field_path = "changed_at"
