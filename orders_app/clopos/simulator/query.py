"""PHP/Laravel bracket query strings, parsed the way the Clopos gateway reads them
(docs/clopos.md §3).

``filters[0][0]=status&filters[0][1][0]=PENDING&with[]=customer`` becomes
``{"filters": {"0": {"0": "status", "1": {"0": "PENDING"}}}, "with": {"0": "customer"}}``.
``[]`` appends (numbered after the existing keys). Repeated plain keys: the last one wins.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def parse_brackets(query: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            result[key] = value
            continue
        name, rest = match.groups()
        parts = _PART.findall(rest)
        if not parts:
            result[name] = value
            continue
        node = result.get(name)
        if not isinstance(node, dict):
            node = result[name] = {}
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return result


def as_list(node: Any) -> list[Any]:
    """A bracket node as a list in key order (numeric keys numerically); a scalar as [scalar]."""
    if isinstance(node, dict):
        keys = sorted(node, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
        return [node[k] for k in keys]
    if node is None:
        return []
    return [node]


def flat(query: str) -> dict[str, str]:
    """The raw query as a flat dict (``"filters[0][1][0]": "PENDING"``), for request logs."""
    return dict(parse_qsl(query, keep_blank_values=True))
