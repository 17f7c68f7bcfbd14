"""How the insights bucket a duration (a leaf anyone may import): 5 s wide under ten minutes,
then 60 s. The database groups durations into these buckets; percentiles are read from the
bucket counts and reported as the middle of their bucket."""

from __future__ import annotations

FINE_BUCKET, FINE_LIMIT, COARSE_BUCKET = 5, 600, 60


def width(start: int) -> int:
    """The width of the bucket that starts at ``start`` seconds."""
    return FINE_BUCKET if start < FINE_LIMIT else COARSE_BUCKET


def bucket_sql(seconds: str) -> str:
    """SQL: the bucket start of a duration in seconds (negative ones, from clock skew, are 0)."""
    return (
        f"CASE WHEN {seconds} < 0 THEN 0 "
        f"WHEN {seconds} < {FINE_LIMIT} THEN ({seconds} / {FINE_BUCKET}) * {FINE_BUCKET} "
        f"ELSE ({seconds} / {COARSE_BUCKET}) * {COARSE_BUCKET} END"
    )
