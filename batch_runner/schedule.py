"""Start times for scheduled runs."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_start_time(text: str) -> datetime:
    """Parse an ISO 8601 date-time; one without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def seconds_until(text: str, now: datetime | None = None) -> float:
    now = now or datetime.now(timezone.utc)
    return (parse_start_time(text) - now).total_seconds()
