"""Filters of the audit lists: only choices that have rows, and a typed date range."""

from datetime import date, datetime, time

from django.contrib import admin, messages
from django.utils import timezone

from ledger.models import ChangeBatch
from web.admin_lists import TypedValueFilter


class SourceFilter(admin.SimpleListFilter):
    """Sources that have batches (API and credit requests appear once they write something)."""

    title = "source"
    parameter_name = "source"
    field_path = "batch__source"

    def lookups(self, request, model_admin):
        # One index seek per source rather than a DISTINCT over every batch.
        return [(value, label) for value, label in ChangeBatch.Source.choices if _has_source(value)]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field_path: self.value()}) if self.value() else queryset


def _has_source(source: str) -> bool:
    return ChangeBatch.objects.filter(source=source).order_by().exists()


class BatchSourceFilter(SourceFilter):
    field_path = "source"


class ActorFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor"
    field_path = "batch__actor"

    def lookups(self, request, model_admin):
        actors = ChangeBatch.objects.order_by("actor").values_list("actor", flat=True).distinct()  # the actor index
        return [(actor, actor) for actor in actors]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field_path: self.value()}) if self.value() else queryset


class BatchFilter(admin.SimpleListFilter):
    """Set by the links on batch pages; shows which batch is selected so it can be cleared."""

    title = "batch"
    parameter_name = "batch__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        batch = ChangeBatch.objects.filter(pk=value).first() if value and value.isdigit() else None
        return [(str(batch.pk), batch.batch_id)] if batch else []

    def has_output(self):
        # Shown (and applied) whenever a batch is asked for, even one that does not exist.
        return self.value() is not None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            messages.error(request, f"Batch: {self.value()!r} is not a batch number; no rows are shown.")
            return queryset.none()
        return queryset.filter(batch_id=int(self.value()))


class DateBoundFilter(TypedValueFilter):
    """`?created_from=YYYY-MM-DD` (and `created_to`, inclusive), typed in the sidebar."""

    input_type = "date"
    field_path = "created_at"
    lookup = "gte"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            day = date.fromisoformat(self.value())
        except ValueError:
            messages.error(request, f"{self.title}: {self.value()!r} is not a date (YYYY-MM-DD); no rows are shown.")
            return queryset.none()
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
