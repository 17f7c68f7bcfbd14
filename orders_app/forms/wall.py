"""The wall's per-screen choices, from URL parameters: each screen is set up by its link.

``venue`` (one id), ``channel`` (repeatable: an order type or integration, e.g. wolt),
``stage`` (repeatable: which kitchen stages, hence which columns; the default wall is New,
Preparing, Ready, Done), ``status`` (repeatable: the older wall by Clopos status, still
honoured when no ``stage`` is given), ``theme`` (dark, light), ``dim`` (auto, off),
``allday`` (1, 0), ``station`` (repeatable: a Clopos station id; the screen then shows only
the items those stations make), ``tickets`` (orders, all: ``all`` adds the dine-in tables
opened at the POS), ``stoplist`` (1, 0: the 86 strip), ``stats`` (1, 0: a strip with today's
orders, median time to accept and the cards late now; off by default), ``lang`` (az, ru, en: the screen's language, which
dashboard/middleware.py activates; else LANGUAGE_CODE). A bad value never breaks the screen:
that parameter falls back to its default and the wall shows a notice naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import get_language, gettext, ngettext

from orders_app.vocabulary import STAGES, WALL_DEFAULT_COLUMNS, WALL_STATUSES

_CHANNEL = re.compile(r"^[\w.:\- ]{1,64}$")


@dataclass(frozen=True)
class WallOptions:
    venue: int | None = None
    channels: tuple[str, ...] = ()
    columns: tuple[str, ...] = WALL_DEFAULT_COLUMNS
    # Kitchen stages asked for (``stage=``); ``by_status`` when the link asked for status
    # columns (``status=``) and no stage: the older wall.
    stages: tuple[str, ...] = ()
    by_status: bool = False
    theme: str = "dark"
    dim: str = "auto"
    all_day: bool = True
    stations: tuple[int, ...] = ()
    tickets: str = "orders"
    stop_list: bool = True
    stats: bool = False
    language: str = ""
    notices: tuple[str, ...] = field(default=())

    def query_items(self) -> list[tuple[str, str]]:
        """The options back as URL parameters (only non-defaults): what the poll URL carries."""
        items: list[tuple[str, str]] = []
        if self.venue is not None:
            items.append(("venue", str(self.venue)))
        items += [("channel", c) for c in self.channels]
        items += [("stage", s) for s in self.stages]
        if self.by_status:
            items += [("status", s) for s in self.columns]
        if self.theme != "dark":
            items.append(("theme", self.theme))
        if self.dim != "auto":
            items.append(("dim", self.dim))
        if not self.all_day:
            items.append(("allday", "0"))
        items += [("station", str(s)) for s in self.stations]
        if self.tickets != "orders":
            items.append(("tickets", self.tickets))
        if not self.stop_list:
            items.append(("stoplist", "0"))
        if self.stats:
            items.append(("stats", "1"))
        if self.language:
            items.append(("lang", self.language))
        return items


class ChannelsField(forms.Field):
    def to_python(self, value) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v).strip() for v in values if str(v).strip()]

    def validate(self, value: list[str]) -> None:
        if len(value) > 20:
            raise forms.ValidationError(
                ngettext("at most %(count)s channel", "at most %(count)s channels", 20)
                % {"count": 20}
            )
        for v in value:
            if not _CHANNEL.match(v):
                raise forms.ValidationError(
                    gettext("%(value)s is not a channel name") % {"value": repr(v[:40])}
                )


class StationsField(forms.Field):
    """Repeatable station ids (``station=3&station=5``)."""

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids = []
        for v in values:
            text = str(v).strip()
            if not text:
                continue
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError(
                    gettext("%(value)s is not a station id") % {"value": repr(text[:40])}
                )
            ids.append(int(text))
        if len(ids) > 20:
            raise forms.ValidationError(
                ngettext("at most %(count)s station", "at most %(count)s stations", 20)
                % {"count": 20}
            )
        return ids


class WallForm(forms.Form):
    venue = forms.IntegerField(required=False, min_value=0, max_value=2**62)
    channel = ChannelsField(required=False)
    status = forms.MultipleChoiceField(required=False, choices=[(s, s) for s in WALL_STATUSES])
    stage = forms.MultipleChoiceField(required=False, choices=[(s, s) for s in STAGES])
    theme = forms.ChoiceField(required=False, choices=[("dark", "dark"), ("light", "light")])
    dim = forms.ChoiceField(required=False, choices=[("auto", "auto"), ("off", "off")])
    allday = forms.ChoiceField(required=False, choices=[("1", "1"), ("0", "0")])
    station = StationsField(required=False)
    tickets = forms.ChoiceField(required=False, choices=[("orders", "orders"), ("all", "all")])
    stoplist = forms.ChoiceField(required=False, choices=[("1", "1"), ("0", "0")])
    stats = forms.ChoiceField(required=False, choices=[("1", "1"), ("0", "0")])
    lang = forms.ChoiceField(required=False, choices=lambda: list(settings.LANGUAGES))

    def __init__(self, query: QueryDict, *args, **kwargs) -> None:
        data = {
            "venue": query.get("venue", ""),
            "channel": query.getlist("channel"),
            "status": [s.strip().upper() for s in query.getlist("status") if s.strip()],
            "stage": [s.strip().lower() for s in query.getlist("stage") if s.strip()],
            "theme": query.get("theme", "").strip().lower(),
            "dim": query.get("dim", "").strip().lower(),
            "allday": query.get("allday", "").strip(),
            "station": query.getlist("station"),
            "tickets": query.get("tickets", "").strip().lower(),
            "stoplist": query.get("stoplist", "").strip(),
            "stats": query.get("stats", "").strip(),
            "lang": query.get("lang", "").strip().lower(),
        }
        super().__init__(data, *args, **kwargs)


# The wall's parameters, in the form's order: what a screen's options are made from.
_PARAMETERS = tuple(WallForm.base_fields)


def wall_options(query: QueryDict) -> WallOptions:
    """Valid parameters become options; each invalid one is dropped with a notice.

    The same screen asks with the same parameters every poll, and building the form costs
    more than the rest of a poll answered from the fragment cache (0.7 of 1.2 ms, measured):
    so the options are remembered per (parameters, language), the notices being translated."""
    key = (get_language(), tuple((name, tuple(query.getlist(name))) for name in _PARAMETERS))
    return _options_for(key, query)


def _options_for(key: tuple, query: QueryDict) -> WallOptions:
    options = _remembered.get(key)
    if options is None:
        options = _wall_options(query)
        if len(_remembered) >= _REMEMBER_MAX:  # hostile links cannot grow it without end
            _remembered.clear()
        _remembered[key] = options
    return options


_remembered: dict[tuple, WallOptions] = {}
_REMEMBER_MAX = 512


def _wall_options(query: QueryDict) -> WallOptions:
    form = WallForm(query)
    form.is_valid()
    data = form.cleaned_data
    notices = []
    for name, errors in form.errors.items():
        raw = query.getlist(name)
        shown = ", ".join(v[:40] for v in raw) or gettext("(empty)")
        notices.append(
            gettext("Ignored %(name)s=%(value)s: %(errors)s")
            % {"name": name, "value": shown, "errors": " ".join(errors)}
        )
    columns = tuple(s for s in WALL_STATUSES if s in (data.get("status") or []))
    # Canonical column order: New, Accepted, Done (then Ignored if asked for).
    columns = tuple(sorted(columns, key=WALL_STATUSES.index)) or WALL_DEFAULT_COLUMNS
    stages = tuple(s for s in STAGES if s in (data.get("stage") or []))
    by_status = bool(data.get("status")) and not stages
    return WallOptions(
        stages=stages,
        by_status=by_status,
        venue=data.get("venue"),
        channels=tuple(dict.fromkeys(data.get("channel") or [])),
        columns=columns,
        theme=data.get("theme") or "dark",
        dim=data.get("dim") or "auto",
        all_day=(data.get("allday") or "1") == "1",
        stations=tuple(sorted(set(data.get("station") or []))),
        tickets=data.get("tickets") or "orders",
        stop_list=(data.get("stoplist") or "1") == "1",
        stats=(data.get("stats") or "0") == "1",
        language=data.get("lang") or "",
        notices=tuple(notices),
    )
