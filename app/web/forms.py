"""What a request sends, read on the server's event loop by a dependency, so that the page's own function is plain
and runs in the server's threads: a family waiting on the database (a confirmation behind the days' locks, argon2 at
the login) never holds up the others served by the same worker."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

MAX_QUERY = 4000
"""What a payment site's answer may carry (its query and its form body), in characters."""


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (files left out)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def site_query(request: Request) -> str:
    """What a payment site sent: the URL's query and a form body, as one query string (never trusted alone)."""
    body = (await request.body()).decode("utf-8", "replace") if request.method == "POST" else ""
    return "&".join(part for part in (request.url.query, body[:MAX_QUERY]) if part)


Fields = Annotated[dict[str, str], Depends(form_fields)]
SiteQuery = Annotated[str, Depends(site_query)]


def int_param(value: object) -> int | None:
    """A number a form or a query names (a child's, an activity's id); None for anything else."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
