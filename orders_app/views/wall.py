"""Placeholder until the wall lands (issue 4)."""

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("Not built yet", status=501)


wall = wall_poll = _todo
