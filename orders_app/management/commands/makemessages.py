"""Django's makemessages, with msgmerge's fuzzy matching off.

A new msgid then arrives untranslated instead of carrying a guess copied from a similar
entry (a "fuzzy" translation of "Venue" for "venue"), which a translator might miss and
``make test`` would refuse anyway. Everything else is Django's command (``scripts/messages.py``
runs it)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
