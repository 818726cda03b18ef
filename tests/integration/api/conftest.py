"""One app per backend for the API tests: a fresh SQLite file and a fresh PostgreSQL schema, each
seeded once with two clinics (see world.py). Tests make their own notes, so they do not depend on order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.api.world import World, running_world


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(request.param, tmp_path_factory.mktemp(f"api-{request.param}")) as built:
        yield built
