"""The API's door: how big a body may be, and who is calling.

Both are plain ASGI middleware, so they act before FastAPI reads or parses anything: a 50 MB body
is refused after its headers (or after the first 4 MiB when it is streamed without a length), and
a request without a valid token is refused before its body is read at all.

Who is calling, for every path but the OpenAPI docs:

* ``Authorization: Bearer <token>``: the token's user (``deertrack token create NAME``).
* no header, while **no user account exists** and the request comes from this machine (loopback,
  no proxy headers): the laptop mode's implicit admin, as on the dashboard.
* anything else: 401. What each user may do is decided in the core (:mod:`deertrack_core.auth`),
  which turns a role that may not into 403.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deertrack_core import auth, settings
from deertrack_core.errors import AuthenticationError, DatabaseNotReadyError, DeertrackError

log = logging.getLogger(__name__)

PUBLIC_PATHS = ("/docs", "/redoc", "/openapi.json")
PROXY_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip")


def problem(status: int, problem_text: str, fix: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"detail": {"problem": problem_text, "fix": fix}}, status_code=status, headers=headers
    )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` (default ``DEERTRACK_API_MAX_BODY_BYTES``)."""

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, limit: int) -> JSONResponse:
        return problem(
            413,
            f"The request body is larger than {limit} bytes.",
            "Send a smaller request: an export request is a few hundred bytes "
            "(DEERTRACK_API_MAX_BODY_BYTES sets the limit).",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes or settings.api_max_body_bytes()
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refusal(limit)(scope, receive, send)
            return
        seen = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Answer now and tell the app the client left: it stops reading, and
                    # whatever it answers is dropped by watched_send.
                    refused = True
                    if not started:
                        await self._refusal(limit)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted_receive, watched_send)


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    value = headers.get(b"authorization", b"").decode("latin-1").strip()
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _from_this_machine(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    client = scope.get("client")
    if not client or not auth.is_loopback(str(client[0])):
        return False
    # A proxy on this machine forwards other people's requests: they are not local.
    return not any(h in headers for h in PROXY_HEADERS)


def identify(scope: Scope, headers: dict[bytes, bytes]) -> auth.Actor:
    """The actor behind a request, or ``AuthenticationError`` (runs in a worker thread)."""
    from sqlalchemy.exc import DBAPIError

    from deertrack_core import db, tokens

    token = _bearer(headers)
    try:
        with db.session_scope() as session:
            if token is not None:
                return tokens.actor_for_token(session, token)
            any_users = auth.users_exist(session)
    except DBAPIError as exc:
        raise DatabaseNotReadyError(
            f"The database cannot be read ({type(exc.orig).__name__}).",
            "Check DEERTRACK_DATABASE_URL, that the server runs, and run `deertrack migrate`.",
        ) from exc
    if any_users:
        raise AuthenticationError(
            "This DeerTrack has user accounts: send your API token.",
            "Add the header 'Authorization: Bearer <token>'; an admin makes one with "
            "`deertrack token create NAME`.",
        )
    if not _from_this_machine(scope, headers):
        raise AuthenticationError(
            "Without user accounts the API answers only requests from this machine.",
            "Create an admin (`deertrack user add NAME --role admin`) and a token for each user "
            "(`deertrack token create NAME`).",
        )
    return auth.Actor.local()


class Authenticate:
    """Find the actor of every request but the docs; put it in ``request.state.actor``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # Everything but the docs needs an actor (no prefix games: /API/, //api, %61pi).
        public = path in PUBLIC_PATHS or path.startswith("/docs/")
        if scope["type"] != "http" or public:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
            actor = await run_in_threadpool(identify, scope, headers)
        except AuthenticationError as exc:
            response = problem(401, exc.problem, exc.fix, **{"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        except DeertrackError as exc:  # the database is not reachable or not migrated
            await problem(503, exc.problem, exc.fix)(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["actor"] = actor
        await self.app(scope, receive, send)
