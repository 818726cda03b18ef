"""/api/docs and the icon come from this server: a clinic's server without internet access shows the
API's documentation, and no page asks for a file that is not there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ptbill.server import create_app
from ptbill.settings import Settings
from tests.migrated import migrate


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory: Path = tmp_path_factory.mktemp("offline-assets")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    app = create_app(Settings(url, directory, "offline-assets-" + "q" * 32, secure_cookies=False))
    with TestClient(app) as client:
        yield client
    app.state.ptbill.sessions.kw["bind"].dispose()


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)


def test_the_api_docs_load_every_file_from_this_server(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    assets = _assets(page.text)
    assert {a.split("?")[0] for a in assets} >= {
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/favicon.svg",
        "/api/openapi.json",
    }
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by ptbill"
        assert client.get(asset).status_code == 200, asset


def test_the_swagger_ui_files_keep_their_licence() -> None:
    from ptbill.web.deps import STATIC_DIR

    vendored = STATIC_DIR / "vendor" / "swagger-ui"
    assert "Apache License" in (vendored / "LICENSE").read_text()
    assert (vendored / "NOTICE").is_file()


def test_pages_name_their_icon_and_favicon_ico_is_there(client: TestClient) -> None:
    login = client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg"' in login.text
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.content.startswith(b"<svg")
