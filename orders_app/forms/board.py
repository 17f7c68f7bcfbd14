"""The board's query string, both ways: validated into BoardFilters, and written back.

Parameters: status, stage, from, to, channel, venue, q, sort, page, and what an insights chart
links to: hour, weekday, sale_type. Every one is optional. Anything
the form rejects becomes a form error on the page (and a 400 for htmx requests); nothing a user
can type into the URL reaches the database unchecked. This module is the one place that knows
the parameters' names: the filter object itself has none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from orders_app.selectors.order_filters import DEFAULT_SORT, BoardFilters
from orders_app.vocabulary import stage_choices, status_choices

# Dates outside this range cannot be an order and would overflow date arithmetic.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2999, 12, 30)
MAX_PAGE = 1_000_000
MAX_BIGINT = 9_223_372_036_854_775_807

SORT_CHOICES = [
    ("created", _("Newest created")),
    ("updated", _("Recently updated")),
]
_DATE_INVALID = _("Use a date like 2026-03-01.")


class BoardFilterForm(forms.Form):
    status = forms.MultipleChoiceField(
        choices=status_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Status"),
    )
    stage = forms.MultipleChoiceField(
        choices=stage_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=pgettext_lazy("kitchen stage", "Stage"),
    )
    # "from" is a Python keyword: the field is declared below under its query-string name.
    to = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _DATE_INVALID},
        label=pgettext_lazy("date range", "To"),
    )
    channel = forms.CharField(required=False, max_length=64, label=_("Channel"))
    venue = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_BIGINT,
        error_messages={"invalid": _("Pick a venue from the list.")},
        label=_("Venue"),
    )
    q = forms.CharField(required=False, max_length=200, strip=True, label=_("Search"))
    # What an insights chart links to (README): an hour of the day and a weekday in TIME_ZONE,
    # a sale type.
    hour = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=23,
        error_messages={"invalid": _("Use an hour from 0 to 23.")},
        label=_("Hour"),
    )
    weekday = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=7,
        error_messages={"invalid": _("Use a weekday from 1 (Monday) to 7 (Sunday).")},
        label=_("Weekday"),
    )
    sale_type = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_BIGINT,
        error_messages={"invalid": _("Pick a sale type by its id.")},
        label=_("Sale type"),
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, label=_("Sort"))
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={"invalid": _("Page must be a whole number.")},
        label=_("Page"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            required=False,
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": _DATE_INVALID},
            label=pgettext_lazy("date range", "From"),
        )
        # Keep the visual order of the fields: status, from, to, ...
        order = [
            "status", "stage", "from", "to", "channel", "venue", "q", "sort", "page",
            "hour", "weekday", "sale_type",
        ]  # fmt: skip
        self.fields = {name: self.fields[name] for name in order}

    def _clean_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not (MIN_DATE <= value <= MAX_DATE):
            self.add_error(
                name,
                gettext("Pick a date between %(first)s and %(last)s.")
                % {"first": MIN_DATE.year, "last": MAX_DATE.year},
            )
            return None
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        start = self._clean_date("from")
        end = self._clean_date("to")
        if start and end and start > end:
            self.add_error("to", gettext("The end date is before the start date."))
        return cleaned

    def filters(self) -> BoardFilters:
        """The valid parameters as filters (with errors, the fields that were fine)."""
        data = self.cleaned_data
        return BoardFilters(
            statuses=tuple(dict.fromkeys(data.get("status") or ())),
            stages=tuple(dict.fromkeys(data.get("stage") or ())),
            date_from=data.get("from"),
            date_to=data.get("to"),
            channel=(data.get("channel") or "").strip(),
            venue=data.get("venue"),
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
            page=data.get("page") or 1,
            hour=data.get("hour"),
            weekday=data.get("weekday"),
            sale_type=data.get("sale_type"),
        )


def board_query_pairs(filters: BoardFilters, **overrides: Any) -> list[tuple[str, str]]:
    """The query-string pairs for ``filters`` (defaults left out), with some values replaced.

    ``page`` resets to 1 unless it is overridden: a changed filter starts at the top."""
    f = replace(filters, page=1) if "page" not in overrides else filters
    f = replace(f, **overrides)
    pairs: list[tuple[str, str]] = [("status", s) for s in f.statuses]
    pairs += [("stage", s) for s in f.stages]
    if f.date_from:
        pairs.append(("from", f.date_from.isoformat()))
    if f.date_to:
        pairs.append(("to", f.date_to.isoformat()))
    if f.channel:
        pairs.append(("channel", f.channel))
    if f.venue is not None:
        pairs.append(("venue", str(f.venue)))
    if f.q:
        pairs.append(("q", f.q))
    if f.sort and f.sort != DEFAULT_SORT:
        pairs.append(("sort", f.sort))
    if f.page and f.page > 1:
        pairs.append(("page", str(f.page)))
    for name in ("hour", "weekday", "sale_type"):
        if getattr(f, name) is not None:
            pairs.append((name, str(getattr(f, name))))
    return pairs


def board_querystring(filters: BoardFilters, **overrides: Any) -> str:
    return urlencode(board_query_pairs(filters, **overrides))


def quick_ranges(*, today: date | None = None) -> dict[str, tuple[date, date]]:
    """Today, Yesterday and Last 7 days (labels in the active language), as inclusive
    (from, to) in TIME_ZONE."""
    today = today or timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))
    return {
        gettext("Today"): (today, today),
        gettext("Yesterday"): (today - timedelta(days=1), today - timedelta(days=1)),
        gettext("Last 7 days"): (today - timedelta(days=6), today),
    }
