"""The pickup screen's choices, from URL parameters: each screen is set up by its link.

``venue`` (one id), ``channel`` (repeatable: an order type or integration, e.g. wolt),
``theme`` (dark, light) and ``lang`` (az, ru, en; dashboard/middleware.py activates it, else
LANGUAGE_CODE): the wall's parameters, validated by the wall's own fields. The wall's other
parameters (stage, status, dim, allday) mean nothing here and are ignored. A bad value never
breaks the screen: that parameter falls back to its default and the screen shows a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext

from orders_app.forms.wall import WallForm


@dataclass(frozen=True)
class PickupOptions:
    venue: int | None = None
    channels: tuple[str, ...] = ()
    theme: str = "dark"
    language: str = ""
    notices: tuple[str, ...] = field(default=())

    def query_items(self) -> list[tuple[str, str]]:
        """The options back as URL parameters (only non-defaults): what the poll URL carries."""
        items: list[tuple[str, str]] = []
        if self.venue is not None:
            items.append(("venue", str(self.venue)))
        items += [("channel", c) for c in self.channels]
        if self.theme != "dark":
            items.append(("theme", self.theme))
        if self.language:
            items.append(("lang", self.language))
        return items


class PickupForm(WallForm):
    """The wall's form without the parameters that choose the wall's columns and behaviour."""

    status = None
    stage = None
    dim = None
    allday = None


def pickup_options(query: QueryDict) -> PickupOptions:
    """Valid parameters become options; each invalid one is dropped with a notice (the wall's
    words, so a screen says the same thing about the same mistake)."""
    form = PickupForm(query)
    form.is_valid()
    data = form.cleaned_data
    notices = []
    for name, errors in form.errors.items():
        shown = ", ".join(v[:40] for v in query.getlist(name)) or gettext("(empty)")
        notices.append(
            gettext("Ignored %(name)s=%(value)s: %(errors)s")
            % {"name": name, "value": shown, "errors": " ".join(errors)}
        )
    return PickupOptions(
        venue=data.get("venue"),
        channels=tuple(dict.fromkeys(data.get("channel") or [])),
        theme=data.get("theme") or "dark",
        language=data.get("lang") or "",
        notices=tuple(notices),
    )
