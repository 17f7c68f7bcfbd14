"""Text folding for search that works the same on SQLite and PostgreSQL.

SQLite's LIKE folds only ASCII case, so Pass stores a pre-folded ``search_text`` on each order
and folds the query the same way: case-folded (Latin, Azerbaijani, Cyrillic), accents and
dots removed (ş→s, ö→o, İ→i), Azerbaijani ı and ə mapped to i and e, and Cyrillic ё to е.
Phone numbers are indexed as digits, with and without the 994 country code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_EXTRA = str.maketrans({"ı": "i", "ə": "e", "ё": "е", "ß": "ss"})
_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


@lru_cache(maxsize=16384)
def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.translate(_EXTRA)
    return _SPACES.sub(" ", folded).strip()


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form of ``text`` for matching.
    Cached: menus and customers repeat across orders, and sync folds every one."""
    return _fold(str(text)) if text else ""


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text or "")


def phone_search_forms(phone: str) -> list[str]:
    """Digit forms a phone is found by: full, without 994, and with a leading 0 (050...)."""
    full = digits(phone)
    if not full:
        return []
    forms = [full]
    local = full
    if full.startswith("994") and len(full) > 9:
        local = full[3:]
    elif full.startswith("0") and len(full) >= 10:
        local = full[1:]
    if local != full:
        forms.append(local)
    forms.append("0" + local)
    forms.append("994" + local)
    return list(dict.fromkeys(forms))


def phone_query_digits(query: str) -> str | None:
    """The digits to look for when ``query`` looks like (part of) a phone number, else None."""
    stripped = query.strip()
    if not stripped or not re.fullmatch(r"[+\d\s().-]+", stripped):
        return None
    only = digits(stripped)
    if len(only) < 4:
        return None
    if only.startswith("994") and len(only) > 9:
        return only[3:]
    if only.startswith("0") and len(only) >= 10:
        return only[1:]
    return only


def search_text_for(
    *,
    order_id: int | str,
    customer_name: str = "",
    customer_phone: str = "",
    customer_address: str = "",
    comment: str = "",
    item_names: list[str] | tuple[str, ...] = (),
    modifier_names: list[str] | tuple[str, ...] = (),
    notes: list[str] | tuple[str, ...] = (),
    extra: list[str] | tuple[str, ...] = (),
) -> str:
    """The folded text the board's ``q`` searches: id, customer, phone digits, address,
    product and modifier names, notes and comments."""
    parts = [
        f"#{order_id}",
        customer_name,
        customer_address,
        comment,
        *item_names,
        *modifier_names,
        *notes,
        *extra,
    ]
    text = " | ".join(fold(p) for p in parts if p)
    phones = " ".join(phone_search_forms(customer_phone))
    return f"{text} | tel:{phones}" if phones else text
