"""A Clopos answer read: the body, bounded in size and time, then status and body turned into
data or one typed error.

``success`` is checked before the status code: Clopos answers some failures (the
test-integrator-on-production-brand case) with HTTP 200 and ``success: false`` (docs/clopos.md
§1). Error bodies (``{success, error, message}`` or ``{error, message, details}``), the auth
failures and the 429 with ``RateLimit-Reset`` are read as docs/clopos.md §2 and §3 describe;
anything that is not a JSON object is judged on its status and how it looks (an HTML gateway
page, a truncated body). Every message reads as a sentence that says what to fix, and any text
the server echoes is passed through ``clean`` (secrets out, one line, bounded) first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime

import requests
import urllib3

from orders_app.clopos.errors import (
    CloposAuthError,
    CloposBadResponse,
    CloposError,
    CloposNotFound,
    CloposRateLimited,
    CloposRequestRejected,
    CloposTestModeError,
    CloposUnavailable,
)
from orders_app.clopos.jsontext import load_json

RATE_LIMIT_FALLBACK_WAIT = 5.0  # a 429 without RateLimit-Reset
RATE_LIMIT_MAX_WAIT = 120.0  # never trust a hostile header to park us for hours

# clean(text, limit): server text fit for a message (secrets removed, one line, bounded).
Clean = Callable[[object, int], str]

_TEST_MODE_MESSAGE = (
    "Clopos says the integrator is in test mode but the brand is production: use a test brand "
    "with this CLOPOS_INTEGRATOR_ID, or ask Clopos (dev@clopos.com) to move the integrator to "
    "production"
)
_CREDENTIALS_REJECTED = (
    "Clopos rejected the credentials: check CLOPOS_CLIENT_ID / CLOPOS_CLIENT_SECRET / "
    "CLOPOS_BRAND (and that the Open API add-on is enabled in the Clopos back office)"
)
_SERVER_TEXT_LIMIT = 300
MAX_BODY_BYTES = 64 * 1024 * 1024


def read_body(
    response: requests.Response,
    *,
    started: float,
    seconds: float,
    clock: Callable[[], float],
    method: str,
    path: str,
) -> bytes:
    """The whole body, one socket read at a time, all of it within ``seconds`` of ``started``
    (on ``clock``): a server trickling bytes cannot hold a pass forever."""
    deadline = started + seconds
    chunks: list[bytes] = []
    size = 0
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    try:
        if read1 is None:  # not a urllib3 2 response: requests' own iterator
            pieces: Iterator[bytes] = response.iter_content(chunk_size=65536)
        else:
            pieces = iter(lambda: read1(65536, decode_content=True), b"")
        for chunk in pieces:
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise CloposBadResponse(
                    f"Clopos sent more than {MAX_BODY_BYTES // 1_000_000} MB for {method} "
                    f"{path}: lower CLOPOS_PAGE_SIZE",
                    status=response.status_code,
                )
            if clock() > deadline:
                raise CloposUnavailable(
                    f"Clopos took longer than {seconds:g} s to send {method} {path} "
                    "(raise CLOPOS_TIMEOUT if this keeps happening)",
                    status=response.status_code,
                )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        reason = "timed out" if "timeout" in type(exc).__name__.lower() else "broke"
        raise CloposUnavailable(
            f"The connection to Clopos {reason} while reading {method} {path} "
            f"({type(exc).__name__})",
            status=response.status_code,
        ) from None
    return b"".join(chunks)


def header_number(headers: Mapping[str, object], name: str) -> float | None:
    """A non-negative number from a header (or any mapping), or None."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        return None
    if value != value or value < 0:  # NaN or negative
        return None
    return value


def epoch_seconds(value: object) -> float | None:
    """``expires_at`` as epoch seconds: a number (seconds or ms), a digit string or ISO 8601."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC).timestamp()
            return parsed.timestamp()
    else:
        return None
    return number / 1000.0 if number > 1e12 else number


def _is_test_mode_text(*texts: object) -> bool:
    joined = " ".join(str(t) for t in texts if t).lower()
    return "test mode" in joined


def decode_response(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    method: str,
    path: str,
    clean: Clean,
) -> dict:
    """The JSON object Clopos answered with, or the typed error its answer means."""
    where = f"{method} {path}"
    body: object = None
    parse_error = False
    if raw.strip():
        try:
            body = load_json(raw)
        except (ValueError, UnicodeDecodeError):
            parse_error = True

    if isinstance(body, dict):
        # ``success`` first: Clopos reports some failures as HTTP 200 with success:false.
        success = body.get("success")
        failed = success is False or (isinstance(success, str) and success.lower() == "false")
        if failed or status >= 400:
            raise _error_from_body(
                body, status=status, headers=headers, method=method, path=path, clean=clean
            )
        if 300 <= status < 400:
            raise _redirect_error(status, headers, where, clean)
        return body

    # Not a JSON object: decide on the status first, then on what the body looks like.
    if status == 429:
        raise _rate_limited(headers, code=None, said="")
    if status in (401, 403):
        raise _auth_error({}, status=status, path=path)
    if status == 404:
        raise CloposNotFound(f"Clopos has no {path} (HTTP 404)", status=404)
    if 300 <= status < 400:
        raise _redirect_error(status, headers, where, clean)
    content_type = headers.get("Content-Type", "").lower()
    if "html" in content_type or raw.lstrip()[:1] == b"<":
        raise CloposUnavailable(
            f"Clopos answered {where} with an HTML page (HTTP {status}) instead of JSON: "
            "a gateway or proxy in front of the API is failing",
            status=status,
        )
    if status >= 500:
        raise CloposUnavailable(f"Clopos failed on {where} (HTTP {status})", status=status)
    if parse_error:
        raise CloposUnavailable(
            f"Clopos sent a truncated or malformed JSON body for {where} (HTTP {status})",
            status=status,
        )
    if status >= 400:
        raise CloposRequestRejected(
            f"Clopos refused {where} (HTTP {status}) without saying why", status=status
        )
    if not raw.strip():
        raise CloposUnavailable(
            f"Clopos sent an empty body for {where} (HTTP {status})", status=status
        )
    raise CloposBadResponse(
        f"Clopos answered {where} with a JSON {type(body).__name__}, not an object",
        status=status,
    )


def _redirect_error(
    status: int, headers: Mapping[str, str], where: str, clean: Clean
) -> CloposBadResponse:
    location = clean(headers.get("Location", ""), 120)
    target = f" to {location}" if location else ""
    return CloposBadResponse(
        f"Clopos answered {where} with a redirect (HTTP {status}{target}): check CLOPOS_BASE_URL",
        status=status,
    )


def _error_from_body(
    body: dict,
    *,
    status: int,
    headers: Mapping[str, str],
    method: str,
    path: str,
    clean: Clean,
) -> CloposError:
    code_raw = body.get("error")
    code = clean(code_raw, 80) if isinstance(code_raw, str) and code_raw else None
    message_raw = body.get("message") or body.get("details") or ""
    if not isinstance(message_raw, str):
        message_raw = json.dumps(message_raw, ensure_ascii=False, default=str)
    said_text = clean(message_raw, _SERVER_TEXT_LIMIT) if message_raw else (code or "")
    said = f" (Clopos said: {said_text})" if said_text else ""
    where = f"{method} {path}"

    if _is_test_mode_text(code_raw, message_raw):
        return CloposTestModeError(
            _TEST_MODE_MESSAGE,
            status=status,
            code=code or "test_mode",
            server_message=said_text,
        )
    if status == 429:
        return _rate_limited(headers, code=code, said=said_text)
    if status >= 500:
        return CloposUnavailable(
            f"Clopos failed on {where} (HTTP {status}){said}",
            status=status,
            code=code,
            server_message=said_text,
        )
    if path == "/auth" or status in (401, 403):
        return _auth_error(body, status=status, path=path, code=code, said=said_text)
    if status == 404:
        return CloposNotFound(
            f"Clopos has no {path} in this brand and venue{said}",
            status=404,
            code=code,
            server_message=said_text,
        )
    if status < 400:
        return CloposRequestRejected(
            f"Clopos reported a failure for {where} despite HTTP {status}{said}",
            status=status,
            code=code,
            server_message=said_text,
        )
    return CloposRequestRejected(
        f"Clopos refused {where} (HTTP {status}){said}",
        status=status,
        code=code,
        server_message=said_text,
    )


def _auth_error(
    body: dict,
    *,
    status: int,
    path: str,
    code: str | None = None,
    said: str = "",
) -> CloposAuthError:
    text = f"{body.get('error') or ''} {body.get('message') or ''}".lower()
    tail = f" (Clopos said: {said})" if said else ""
    if path == "/auth":
        if "missing" in text:
            message = (
                f"Clopos says credentials are missing{tail}: set CLOPOS_CLIENT_ID, "
                "CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and CLOPOS_INTEGRATOR_ID"
            )
        elif "integrator" in text:
            message = (
                f"Clopos does not accept this integrator{tail}: check CLOPOS_INTEGRATOR_ID "
                "(request one at https://forms.gle/Y9P1Wnv4QFAruxny8)"
            )
        elif "disabled" in text:
            message = (
                f"Clopos says the API client is disabled{tail}: turn the Open API add-on "
                "back on in the Clopos back office"
            )
        else:
            message = f"{_CREDENTIALS_REJECTED}{tail}"
    elif status == 403:
        message = (
            f"Clopos refused access to {path} (HTTP 403){tail}: the Clopos user bound to the "
            "API credentials may lack the permission or module"
        )
    else:
        message = f"Clopos rejected the access token on {path}{tail}"
    return CloposAuthError(message, status=status, code=code, server_message=said)


def _rate_limited(headers: Mapping[str, str], *, code: str | None, said: str) -> CloposRateLimited:
    reset = header_number(headers, "RateLimit-Reset")
    if reset is None:
        reset = header_number(headers, "Retry-After")
    if reset is None:
        reset = RATE_LIMIT_FALLBACK_WAIT
    reset = min(max(reset, 1.0), RATE_LIMIT_MAX_WAIT)
    tail = f" (Clopos said: {said})" if said else ""
    return CloposRateLimited(
        f"Clopos is rate limiting Pass{tail}: waiting {reset:g} s; lower "
        "CLOPOS_REQUESTS_PER_MINUTE if this keeps happening",
        reset_seconds=reset,
        status=429,
        code=code,
        server_message=said,
    )


def token_rejected_error(exc: CloposAuthError, *, retried: bool) -> CloposAuthError:
    """A 401 the client could not cure by signing in (again): what the person should do."""
    said = f" (Clopos said: {exc.server_message})" if exc.server_message else ""
    if retried:
        message = (
            "Clopos rejected a freshly issued token"
            f"{said}: check CLOPOS_CLIENT_ID / CLOPOS_CLIENT_SECRET / CLOPOS_BRAND / "
            "CLOPOS_INTEGRATOR_ID and the API user's permissions in the Clopos back office"
        )
    else:
        message = (
            f"Clopos rejected CLOPOS_TOKEN{said}: set a fresh CLOPOS_TOKEN, or set "
            "CLOPOS_CLIENT_ID, CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and CLOPOS_INTEGRATOR_ID "
            "so Pass can sign in by itself"
        )
    return CloposAuthError(
        message, status=exc.status, code=exc.code, server_message=exc.server_message
    )
