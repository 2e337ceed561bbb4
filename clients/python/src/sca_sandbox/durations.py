"""Durations and times as the control API writes them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Union

Duration = Union[str, float, int, timedelta]


def seconds(duration: Duration) -> float:
    """Seconds in a number, a timedelta, or a duration such as ``5s``."""
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    if isinstance(duration, (int, float)):
        return float(duration)
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", duration)
    if not match:
        raise ValueError(f"not a duration: {duration!r}")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    return int(match.group(1)) * scale


def wire(duration: Duration) -> str:
    """A duration as the control API takes it: `90s`, `5m`, or milliseconds."""
    if isinstance(duration, str):
        return duration
    return f"{round(seconds(duration) * 1000)}ms"


def parse_time(text: str) -> datetime:
    """RFC 3339 as the sandbox writes it (Python before 3.11 needs `+00:00` for `Z`)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
