"""Request body limits, enforced at the ASGI layer as the body streams in, before anything parses it.

JSON, forms and uploads each have their own ceiling; a request without a signed session gets a much
smaller one, so no one can make the app read megabytes before it knows who is asking. Too large is a
413 with a message: JSON under /api, a page elsewhere. An upload is cut off at its limit while it
streams, so the spool Starlette parses it into (1 MiB in memory, then a temporary file) never grows past it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread
from fastapi.responses import JSONResponse, Response
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptbill.domain.identifiers import bounded_int
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.settings import KIB, MIB, RequestLimits
from ptbill.web.deps import render

TOO_LARGE = 413


def _size(limit: int) -> str:
    if limit >= MIB and limit % MIB == 0:
        return f"{limit // MIB} MiB"
    if limit >= KIB and limit % KIB == 0:
        return f"{limit // KIB} KiB"
    return f"{limit} bytes"


@dataclass(frozen=True, slots=True)
class _Limit:
    """The byte limit of one request, what the refusal calls the body, and whether it is the (smaller)
    limit of a request without a session."""

    size: int
    kind: str
    anonymous: bool

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413, closing the connection: the rest of the body is never read, not even to discard it."""
        message = f"Too large: {self.kind} may be at most {_size(self.size)}."
        path = scope.get("path", "")
        response: Response
        if path == "/api" or path.startswith("/api/"):
            response = JSONResponse({"detail": message}, status_code=TOO_LARGE)
        else:
            advice = "Log in first, then try again." if self.anonymous else "Shorten the text or split the file."
            context = {"title": "That is more than ptbill accepts", "advice": advice, "detail": message}
            response = render(Request(scope), "errors/error.html", {**context, "status": TOO_LARGE}, TOO_LARGE)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


class BodyLimits:
    """Pure ASGI (no task, no buffering of allowed bodies): a declared Content-Length over the limit is
    refused before a byte is read; a chunked body is counted and cut off where it passes the limit."""

    def __init__(self, app: ASGIApp, limits: RequestLimits, has_session: Callable[[str], bool]) -> None:
        self.app = app
        self.limits = limits
        self.has_session = has_session

    async def _signed_in(self, connection: HTTPConnection) -> bool:
        scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
        token = credentials.strip() if scheme.lower() == "bearer" else connection.cookies.get(SESSION_COOKIE, "")
        # A database read: off the event loop, and only for bodies that may pass the anonymous limit.
        return bool(token) and await to_thread.run_sync(self.has_session, token)

    async def _limit(self, connection: HTTPConnection, declared: int | None) -> _Limit:
        media_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type == "multipart/form-data":
            size, kind = self.limits.upload_bytes, "an upload"
        elif media_type == "application/x-www-form-urlencoded":
            size, kind = self.limits.form_bytes, "a form"
        else:  # JSON, or a body no route reads: the JSON limit either way
            size, kind = self.limits.json_bytes, "a request body"
        small = declared is not None and declared <= self.limits.anonymous_bytes
        if size > self.limits.anonymous_bytes and not small and not await self._signed_in(connection):
            return _Limit(self.limits.anonymous_bytes, f"{kind} sent without logging in", anonymous=True)
        return _Limit(size, kind, anonymous=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        declared_text = connection.headers.get("content-length", "").strip()
        declared = bounded_int(declared_text, 18)
        chunked = "chunked" in connection.headers.get("transfer-encoding", "").lower()
        if not chunked and declared_text in ("", "0"):
            await self.app(scope, receive, send)  # no body: nothing to count
            return
        limit = await self._limit(connection, declared)
        if declared is not None and declared > limit.size:
            await limit.refuse(scope, receive, send)
        elif limit.anonymous:
            # Small enough to hold: read it all before any route runs, so every route, even one that
            # would never read a body (a 404, a redirect to the login page), refuses it alike.
            received = await _read_at_most(receive, limit.size)
            if received is None:
                await limit.refuse(scope, receive, send)
            else:
                await self.app(scope, _replay(received, receive), send)
        else:
            await _CountedBody(self.app, limit)(scope, receive, send)


async def _read_at_most(receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages up to the end of its body, or None once the body passes ``limit`` bytes."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client went away: the app will see that as usual
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    return replayed


class _CountedBody:
    """One request: its body is counted as the app reads it; past the limit the client gets the 413 at once,
    the app sees a disconnected client, and whatever the app answers after that is dropped."""

    def __init__(self, app: ASGIApp, limit: _Limit) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.complete = False
        self.refused = False
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            if self.refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] != "http.request":
                return message
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if self.received <= self.limit.size:
                return message
            self.refused = True
            if not self.started:
                self.started = True
                await self.limit.refuse(scope, receive, send)
            return {"type": "http.disconnect"}

        async def guarded_send(message: Message) -> None:
            if self.refused:
                return
            if message["type"] == "http.response.start":
                self.started = True
                if not self.complete:
                    # The app answered without reading the whole body (a 404, a redirect): close rather than
                    # let the server read and discard the rest of it before the next request.
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            # Once refused, the app only sees a client that went away (ClientDisconnect and the like); the
            # client already has its 413, and that is not a server error worth a traceback in the log.
            if not self.refused:
                raise
