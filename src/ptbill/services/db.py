"""The database session as the delivery layers hold it: opened per request by the server, passed through to
the services untouched. ``api`` and ``web`` name its type from here, so they import no SQLAlchemy."""

from sqlalchemy.orm import Session

__all__ = ["Session"]
