"""One app per backend for the API tests: a fresh SQLite file and a fresh PostgreSQL schema, each
seeded once with two clinics (see world.py). Tests make their own notes, so they do not depend on order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.api.world import World, build_world, fresh_database


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    with fresh_database(request.param, tmp) as url:
        built = build_world(url, tmp)
        try:
            yield built
        finally:
            built.close()
