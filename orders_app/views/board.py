"""The manager board: the page, its list fragment (polled), one order, its panel, CSV export."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from orders_app.forms.board import (
    BoardFilterForm,
    board_query_pairs,
    board_querystring,
    quick_ranges,
)
from orders_app.models import SaleType
from orders_app.selectors.board import (
    board_page,
    board_stop_strip,
    channel_choices,
    venue_choices,
)
from orders_app.selectors.order_detail import OrderDetail, order_detail_get
from orders_app.selectors.order_export import order_export_rows
from orders_app.selectors.order_filters import BoardFilters, ChannelChoices
from orders_app.selectors.sync import PollState, SyncHealth, sync_health
from orders_app.services.outbox import (
    MalformedRequest,
    TransitionRefused,
    UnknownTarget,
    enqueue_ignore,
)
from orders_app.views.http import HtmxHttpRequest, no_store
from orders_app.views.live import held, hold_seconds

BOARD_TEMPLATE = "orders_app/board.html"
PENDING_ORDER = "PENDING"  # the only status an order may be ignored from


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; an htmx request from an expired session sends the page to the login."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            next_url = request.htmx.current_url_abs_path or reverse("board")
            response = HttpResponse(status=401)
            response["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}"
            return response
        return redirect_to_login(request.get_full_path())

    return wrapper


def _live(response: HttpResponse) -> HttpResponse:
    """Live data, and one URL answering with a page or a fragment: never cache, vary on htmx."""
    no_store(response)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def _is_fragment(request: HtmxHttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _channels_for(filters: BoardFilters, health: SyncHealth) -> ChannelChoices | None:
    """Known types and integrations (cached per data version), only when a channel is picked."""
    return channel_choices(data_version=health.data_version) if filters.channel else None


def _results_context(
    *, form: BoardFilterForm, health: SyncHealth, fragment: bool
) -> tuple[dict[str, Any], int]:
    valid = form.is_valid()
    # With errors, cleaned_data holds the fields that were fine: the form keeps showing them.
    filters = form.filters()
    page = board_page(filters=filters, channels=_channels_for(filters, health)) if valid else None
    status = 200 if valid else 400
    # An invalid filter stops polling: a refresh must not swap the error for an unfiltered list.
    poll_url = ""
    hold = settings.BOARD_POLL_SECONDS if settings.SCREEN_UPDATES == "longpoll" else 0
    if page is not None:
        poll_params = [*board_query_pairs(filters, page=page.page), ("v", health.poll_token)]
        if hold:
            poll_params.append(("wait", str(hold)))
        poll_url = f"{reverse('board-rows')}?{urlencode(poll_params)}"
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        # The header's 86 strip (kept current by the polls, out of band).
        "stop": page.stop_strip if page is not None else board_stop_strip(),
        "sync": health,
        "fragment": fragment,
        "poll_url": poll_url,
        "export_url": f"{reverse('board-export')}?{board_querystring(filters)}",
        "poll_seconds": settings.BOARD_POLL_SECONDS,
        "poll_hold_seconds": hold,
        "poll_request_timeout_ms": (hold + 8) * 1000,
        "now": timezone.now(),  # one clock for every row's age
    }
    return context, status


@require_GET
@manager_required
def board(request: HtmxHttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET)
    health = sync_health()
    fragment = _is_fragment(request)
    context, status = _results_context(form=form, health=health, fragment=fragment)
    if fragment:
        return _live(render(request, f"{BOARD_TEMPLATE}#results", context, status=status))
    filters: BoardFilters = context["filters"]
    sale_type = (
        SaleType.objects.filter(id=filters.sale_type).only("name").first()
        if filters.sale_type is not None
        else None
    )
    context.update(
        sale_type_name=sale_type.name if sale_type else "",
        channels=channel_choices(data_version=health.data_version),
        venues=venue_choices(),
        quick_ranges=[
            (label, start, end, board_querystring(filters, date_from=start, date_to=end))
            for label, (start, end) in quick_ranges().items()
        ],
    )
    return _live(render(request, BOARD_TEMPLATE, context, status=status))


@require_GET
@manager_required
def board_rows(request: HtmxHttpRequest) -> HttpResponse:
    """The list fragment the page polls: 204 while the poll token (``v``) is current, after
    holding the poll up to ``BOARD_POLL_SECONDS`` when the page asks (``wait``, views/live.py)."""
    health = sync_health()
    token = request.GET.get("v", "")
    if token == health.poll_token:
        poll = PollState(token=token, last_success_at=health.last_success_at)
        seconds = hold_seconds(request, most=settings.BOARD_POLL_SECONDS)
        if held(token, poll, seconds=seconds).token != token:
            health = sync_health()
    if token == health.poll_token:
        return _live(HttpResponse(status=204))
    context, status = _results_context(
        form=BoardFilterForm(request.GET), health=health, fragment=True
    )
    return _live(render(request, f"{BOARD_TEMPLATE}#results", context, status=status))


@require_GET
@manager_required
def order_detail(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    detail = order_detail_get(order_id=order_id)
    if detail is None:
        raise Http404(gettext("No such order in the cache"))
    return _live(
        render(
            request,
            "orders_app/order_detail.html",
            {
                "detail": detail,
                "order": detail.order,
                "sync": sync_health(),
                **_ignore_context(detail),
            },
        )
    )


@require_GET
@manager_required
def order_panel(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    detail = order_detail_get(order_id=order_id)
    if detail is None:
        raise Http404(gettext("No such order in the cache"))
    return _live(
        render(
            request,
            "orders_app/_order_detail.html",
            {"detail": detail, "order": detail.order, **_ignore_context(detail)},
        )
    )


def _ignore_context(detail: OrderDetail) -> dict:
    """The ignore button (BOARD_CAN_IGNORE): for a PENDING order with no ignore on its way,
    with a fresh idempotency key (a double submit is one ignore)."""
    can = (
        settings.BOARD_CAN_IGNORE
        and detail.order.status == PENDING_ORDER
        and not detail.ignore_waiting
    )
    return {"can_ignore": can, "ignore_key": uuid.uuid4().hex if can else ""}


@require_POST
@manager_required
def order_ignore(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """Ask Clopos to reject a PENDING order (PUT /orders/{id} IGNORE, through the outbox),
    then back to the order's page, which says what happened."""
    if not settings.BOARD_CAN_IGNORE:
        return HttpResponseForbidden(gettext("Ignoring orders is off on this Pass."))
    try:
        _, created = enqueue_ignore(
            order_id=order_id,
            key=request.POST.get("key", ""),
            actor=request.user.get_username(),
        )
    except UnknownTarget:
        raise Http404(gettext("No such order in the cache")) from None
    except MalformedRequest:
        return HttpResponseBadRequest(
            gettext("This request could not be read; nothing was changed.")
        )
    except TransitionRefused:
        messages.error(
            request,
            gettext("Order #%(id)s is no longer waiting for acceptance: it was not ignored.")
            % {"id": order_id},
        )
        return redirect("order-detail", order_id=order_id)
    if created:
        messages.success(
            request,
            gettext(
                "Order #%(id)s will be ignored in Clopos. The timeline shows when Clopos confirms."
            )
            % {"id": order_id},
        )
    return redirect("order-detail", order_id=order_id)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet software reads UTF-8 (Azerbaijani, Russian) correctly
    for row in rows:
        yield writer.writerow(row)


@require_GET
@manager_required
def board_export(request: HtmxHttpRequest) -> HttpResponse:
    """CSV of every order matching the current filter (all pages), streamed."""
    form = BoardFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponse(
            gettext("Invalid filter: %(problems)s") % {"problems": problems},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = form.filters()
    channels = _channels_for(filters, sync_health())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(order_export_rows(filters=filters, channels=channels)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pass-orders-{stamp}.csv"'
    return no_store(response)
