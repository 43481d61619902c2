"""What wraps every answer: the security headers (error pages included) and the limit of a request's body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .security import MAX_BODY, SECURITY_HEADERS


def secure(response: Response, *, stored: bool = False) -> Response:
    """The headers every answer carries; nothing but the static files (``stored``) and the colours may be stored."""
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "max-age=3600" if stored else "no-store")
    return response


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """The ``http`` middleware: ``secure`` on every answer of the application."""
    response = await call_next(request)
    secure(response, stored=request.url.path.startswith("/static/"))
    return response


class BodyLimit:
    """A request body over ``MAX_BODY`` is answered 413 before the application reads it (announced by its
    Content-Length, or counted as it arrives); a smaller one is handed on as it came."""

    def __init__(self, app: ASGIApp, refuse: Callable[[Scope], Response]) -> None:
        self.app, self.refuse = app, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        announced = dict(scope.get("headers") or []).get(b"content-length", b"0")
        too_large = not announced.isdigit() or int(announced) > MAX_BODY
        chunks: list[Message] = []
        size = 0
        while not too_large:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            too_large = size > MAX_BODY
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if too_large:
            await self.refuse(scope)(scope, receive, send)
            return
        replay = iter(chunks)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)
