"""The insights' query string: the board's ``from``, ``to``, ``venue`` and ``channel``, with the
same names and meanings (dates are whole days in TIME_ZONE, inclusive); the last 7 days when
no date is given. A range may span at most MAX_DAYS. ``table`` picks the CSV export's table.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from orders_app.forms.board import MAX_BIGINT, MAX_DATE, MIN_DATE
from orders_app.selectors.insights import DEFAULT_DAYS, InsightFilters

MAX_DAYS = 366
EXPORT_TABLES = ("hourly", "channels", "items", "venues")
_DATE_INVALID = _("Use a date like 2026-03-01.")


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _DATE_INVALID},
        label=label,
    )


class InsightsForm(forms.Form):
    to = _date_field(pgettext_lazy("date range", "To"))
    channel = forms.CharField(required=False, max_length=64, label=_("Channel"))
    venue = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_BIGINT,
        error_messages={"invalid": _("Pick a venue from the list.")},
        label=_("Venue"),
    )

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["from"] = _date_field(pgettext_lazy("date range", "From"))
        self.fields = {name: self.fields[name] for name in ("from", "to", "channel", "venue")}

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("from", "to"):
            value = cleaned.get(name)
            if value is not None and not (MIN_DATE <= value <= MAX_DATE):
                self.add_error(
                    name,
                    gettext("Pick a date between %(first)s and %(last)s.")
                    % {"first": MIN_DATE.year, "last": MAX_DATE.year},
                )
                cleaned[name] = None
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", gettext("The end date is before the start date."))
        elif start and end and (end - start).days + 1 > MAX_DAYS:
            self.add_error(
                "to",
                gettext("Pick at most %(days)s days.") % {"days": MAX_DAYS},
            )
        return cleaned

    def filters(self) -> InsightFilters:
        """The valid range (the last 7 days by default; one date alone: that end of the range,
        the other DEFAULT_DAYS away)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        errors = self.errors if self.is_bound else {}
        start = None if "from" in errors else data.get("from")
        end = None if "to" in errors else data.get("to")
        if start is None and end is None:
            end = self.today
        if start is None:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        if end is None:
            end = start + timedelta(days=DEFAULT_DAYS - 1)
        if start > end or (end - start).days + 1 > MAX_DAYS:
            end = self.today
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        return InsightFilters(
            date_from=start,
            date_to=end,
            venue=None if "venue" in errors else data.get("venue"),
            channel="" if "channel" in errors else (data.get("channel") or "").strip(),
        )
