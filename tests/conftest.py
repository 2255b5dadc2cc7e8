from __future__ import annotations

import os
import uuid

import pytest

from tests.harness import System
from tests.support import Tap


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    """The whole system, real broker and database, shared by the integration tests."""
    sys_ = System(tmp_path_factory.mktemp("lazo"))
    yield sys_
    sys_.close()


@pytest.fixture
async def tap(system):
    taps: list[Tap] = []

    async def _open(*topics: str) -> Tap:
        t = await Tap(system.broker.bootstrap, *topics).start()
        taps.append(t)
        return t

    yield _open
    for t in taps:
        await t.stop()


@pytest.fixture
def uid() -> str:
    """A fresh id suffix, so tests sharing the system never see each other's data."""
    return uuid.uuid4().hex[:10]


def pytest_report_header(config):
    db = os.environ.get("TEST_DATABASE_URL")
    return f"lazo database: {'PostgreSQL ' + db if db else 'SQLite (embedded)'}"
