"""The active language's words and formats for the numbers, ages and times Pass writes on every
row, looked up once per language and kept (a leaf module: formatting.py reads it).

Why it exists: a board page writes a date, a money figure, a count, an age and a relative
time on each of fifty rows. Through gettext and Django's number and date formatting that was
some 500 catalogue lookups and 150 format-string parses a page, each lookup paying for the
active-language lookup in thread-local storage: bench_views put the list 75% slower than before
translation (figures in bench/RESULTS.md). Here each language's separators, unit words, month
names and date pattern are read once, and each relative-time phrase once per (unit, count).

The results are Django's own: tests/test_fastpaths.py holds the date pattern to
``django.utils.formats.date_format`` and the words to gettext in every language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext, ngettext, pgettext

# Django date-format characters this module writes itself; a pattern with any other letter is
# left to Django's date_format.
_DATE_CHARS = set("dmMYyHijnGs")
_PHRASE_MEMO_MAX = 4096


@dataclass
class Localized:
    language: str
    decimal: str
    thousand: str
    money_pattern: str  # "%(currency)s%(amount)s" as the language places the sign
    compact: dict[str, str]  # unit -> "%(count)sm"
    span: dict[str, str]  # unit -> "%(count)s min"
    just_now: str
    in_future: str
    months: tuple[str, ...]  # Django's "M": Jan … Dec in the language
    short_datetime: str  # SHORT_DATETIME_FORMAT
    _phrases: dict[tuple[str, int], str] = field(default_factory=dict)

    def number(self, text: str) -> str:
        """A number Python wrote ("1,250.50", "0.5") with the language's separators."""
        if self.decimal == "." and self.thousand == ",":
            return text
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousand)

    def ago(self, unit: str, count: int) -> str:
        """ "5 min ago" in the language, with its plural form for ``count``."""
        key = (unit, count)
        phrase = self._phrases.get(key)
        if phrase is None:
            with translation.override(self.language):
                phrase = _ago_phrase(unit, count)
            if len(self._phrases) < _PHRASE_MEMO_MAX:
                self._phrases[key] = phrase
        return phrase

    def datetime_short(self, value: datetime) -> str:
        """``value`` (already in local time) as SHORT_DATETIME_FORMAT writes it."""
        return _write_date(self.short_datetime, value, self)


def _ago_phrase(unit: str, count: int) -> str:
    # The msgids board.js uses too (formatting.ago_text says when each unit applies).
    if unit == "s":
        return ngettext("%(count)s s ago", "%(count)s s ago", count) % {"count": count}
    if unit == "m":
        return ngettext("%(count)s min ago", "%(count)s min ago", count) % {"count": count}
    if unit == "h":
        return ngettext("%(count)s h ago", "%(count)s h ago", count) % {"count": count}
    return ngettext("%(count)s day ago", "%(count)s days ago", count) % {"count": count}


def _write_date(pattern: str, value: datetime, words: Localized) -> str:
    if any(char.isalpha() and char not in _DATE_CHARS for char in pattern) or "\\" in pattern:
        with translation.override(words.language):
            return date_format(value, pattern)
    out = []
    for char in pattern:
        if char == "d":
            out.append(f"{value.day:02d}")
        elif char == "j":
            out.append(str(value.day))
        elif char == "m":
            out.append(f"{value.month:02d}")
        elif char == "n":
            out.append(str(value.month))
        elif char == "M":
            out.append(words.months[value.month - 1])
        elif char == "Y":
            out.append(f"{value.year:04d}" if value.year >= 1000 else str(value.year))
        elif char == "y":
            out.append(f"{value.year % 100:02d}")
        elif char == "H":
            out.append(f"{value.hour:02d}")
        elif char == "G":
            out.append(str(value.hour))
        elif char == "i":
            out.append(f"{value.minute:02d}")
        elif char == "s":
            out.append(f"{value.second:02d}")
        else:
            out.append(char)
    return "".join(out)


_cache: dict[str, Localized] = {}


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: object) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "FORMAT_MODULE_PATH", "LOCALE_PATHS"}:
        _cache.clear()


def localized() -> Localized:
    """The active language's words and formats (built on first use per language)."""
    language = translation.get_language() or "en"
    words = _cache.get(language)
    if words is None:
        with translation.override(language):
            words = Localized(
                language=language,
                decimal=str(get_format("DECIMAL_SEPARATOR")),
                thousand=str(get_format("THOUSAND_SEPARATOR")),
                # Translators: where the currency sign goes; %(amount)s is written with the
                # language's separators (a no-break space between sign and number where the
                # language has one).
                money_pattern=pgettext("money", "%(currency)s%(amount)s"),
                # Translators: a compact age on the board, "12m"; one msgid per unit.
                compact={
                    "s": pgettext("compact age", "%(count)ss"),
                    "m": pgettext("compact age", "%(count)sm"),
                    "h": pgettext("compact age", "%(count)sh"),
                    "d": pgettext("compact age", "%(count)sd"),
                },
                # Translators: a gap between two timeline entries, "+12 min".
                span={
                    "s": pgettext("duration", "%(count)s s"),
                    "m": pgettext("duration", "%(count)s min"),
                    "h": pgettext("duration", "%(count)s h"),
                    "d": pgettext("duration", "%(count)s d"),
                },
                just_now=gettext("just now"),
                in_future=gettext("in the future"),
                months=tuple(str(MONTHS_3[month]).title() for month in range(1, 13)),
                short_datetime=str(get_format("SHORT_DATETIME_FORMAT")),
            )
        _cache[language] = words
    return words
