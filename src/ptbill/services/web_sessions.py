"""CSRF tokens for the web pages and the JSON API: an HMAC-SHA256 of the session token (or of the login
form's pre-session nonce), so a form or a cookie write proves it came from a page of this session.
The sessions themselves are server-side (``services.sessions``)."""

from __future__ import annotations

import hashlib
import hmac

SESSION_COOKIE = "ptbill_session"


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def csrf_token(self, session_token: str) -> str:
        """A token bound to the session: forms and JSON writes must send it back."""
        return hmac.new(self._secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_token: str | None, sent: str | None) -> bool:
        return bool(session_token and sent) and hmac.compare_digest(self.csrf_token(session_token or ""), sent or "")
