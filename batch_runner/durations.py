"""Durations as people read them in progress lines and notifications."""


def format_duration(seconds: float) -> str:
    """Format SECONDS as '45 s', '12 min' or '2 h 05 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
