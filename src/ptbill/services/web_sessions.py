"""Signed session tokens and CSRF tokens for the web pages and the JSON API (itsdangerous, HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from ptbill.domain.identifiers import bounded_int

SESSION_COOKIE = "ptbill_session"
SESSION_MAX_AGE = 8 * 3600  # a working day; the cookie is also a browser-session cookie


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self._signer = TimestampSigner(secret, salt="ptbill-session")

    def issue(self, user_id: int) -> str:
        return self._signer.sign(str(user_id)).decode()

    def read(self, token: str | None) -> int | None:
        if not token:
            return None
        try:
            value = self._signer.unsign(token, max_age=SESSION_MAX_AGE).decode()
        except (BadSignature, SignatureExpired):
            return None
        return bounded_int(value, 18)

    def csrf_token(self, session_token: str) -> str:
        """A token bound to the session: forms and JSON writes must send it back."""
        return hmac.new(self._secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_token: str | None, sent: str | None) -> bool:
        return bool(session_token and sent) and hmac.compare_digest(self.csrf_token(session_token or ""), sent or "")
