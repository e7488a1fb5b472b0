"""Which operations are expensive or destructive, so a live run leaves them out by default.

Generated requests to these groups cost real money (images, audio, video, fine-tuning, evals,
containers, vector stores, realtime sessions) or touch an organisation's administration; a run
sends them only when the user allows it (`--allow-expensive`), in the `full` profile, or against
the embedded mock, where nothing is paid for and nothing real can be broken.
"""

from __future__ import annotations

# First path segment -> the group named in the skip reason.
EXPENSIVE_GROUPS: dict[str, str] = {
    "images": "images",
    "audio": "audio",
    "videos": "video",
    "fine_tuning": "fine-tuning",
    "organization": "admin/organization",
    "projects": "admin/organization",
    "realtime": "realtime",
    "evals": "evals",
    "containers": "containers",
    "vector_stores": "vector stores",
}


def expensive_group(path: str) -> str | None:
    """The expensive group an operation path belongs to, or None for a cheap one."""
    first = path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return EXPENSIVE_GROUPS.get(first)


def may_run(path: str, *, allow_expensive: bool, profile: str, embedded_mock: bool) -> str | None:
    """None when the operation may be exercised; otherwise why it is left out."""
    group = expensive_group(path)
    if group is None or allow_expensive or profile == "full" or embedded_mock:
        return None
    return (
        f"{group} operations are expensive or destructive on a live API; "
        "pass --allow-expensive (or run the full profile) to exercise them"
    )
