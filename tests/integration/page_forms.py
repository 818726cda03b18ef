"""Pages as a browser reads them, for the tests that walk them without one: a logged-in test client,
and each form of a page with the values a browser would send from it, and the page's links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ptbill.services.demo_data import DEMO_PASSWORD


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class PageReader(HTMLParser):
    """The forms of one page, with the values a browser would start from, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._required = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            values = self._form.fields.setdefault(a["name"], [])
            if kind not in ("radio", "submit"):
                values.append(a.get("value", ""))
            elif not values or "checked" in a:  # one radio (the checked one) or button stands for its group
                values[:] = [a.get("value", "")]
        elif tag == "select":
            self._select = a["name"]
            self._required = "required" in a
            self._form.fields.setdefault(a["name"], [])
        elif tag == "option" and self._select is not None:
            # The chosen option, else the first; of a required list, the first real one (past "Choose…"),
            # as a user must pick one before the browser sends the form.
            chosen = self._form.fields[self._select]
            if "selected" in a or not chosen or (self._required and not chosen[0]):
                chosen[:] = [a.get("value", "")]
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[a["name"]] = [""]

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form.fields[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    reader = PageReader()
    reader.feed(html)
    return reader.forms


def logged_in(app: FastAPI, email: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token, "the login form carries no CSRF token"
    response = client.post(
        "/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client
