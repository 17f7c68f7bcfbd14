"""Placeholder until the board lands (issue 3)."""

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("Not built yet", status=501)


board = board_rows = board_export = order_detail = order_panel = _todo
