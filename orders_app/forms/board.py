"""The board's query string, validated: status, from, to, channel, venue, q, sort, page.

Every parameter is optional. Anything the form rejects becomes a form error on the page (and a
400 for htmx requests); nothing a user can type into the URL reaches the database unchecked.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings

# Dates outside this range cannot be an order and would overflow date arithmetic.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2999, 12, 30)
MAX_PAGE = 1_000_000
MAX_BIGINT = 9_223_372_036_854_775_807

SORT_CHOICES = [
    ("created", "Newest created"),
    ("updated", "Recently updated"),
]


def status_choices() -> list[tuple[str, str]]:
    return [(s, settings.STATUS_LABELS.get(s, s.title())) for s in settings.ORDER_STATUSES]


class BoardFilterForm(forms.Form):
    status = forms.MultipleChoiceField(
        choices=status_choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    # "from" is a Python keyword: the field is declared below under its query-string name.
    to = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Use a date like 2026-03-01."},
    )
    channel = forms.CharField(required=False, max_length=64)
    venue = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_BIGINT,
        error_messages={"invalid": "Pick a venue from the list."},
    )
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={"invalid": "Page must be a whole number."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            required=False,
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": "Use a date like 2026-03-01."},
        )
        # Keep the visual order of the fields: status, from, to, ...
        order = ["status", "from", "to", "channel", "venue", "q", "sort", "page"]
        self.fields = {name: self.fields[name] for name in order}

    def _clean_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not (MIN_DATE <= value <= MAX_DATE):
            self.add_error(name, f"Pick a date between {MIN_DATE:%Y} and {MAX_DATE:%Y}.")
            return None
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        start = self._clean_date("from")
        end = self._clean_date("to")
        if start and end and start > end:
            self.add_error("to", "The end date is before the start date.")
        return cleaned
