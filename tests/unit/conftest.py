from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.engine import RELIABLE, Engine, build_engine


@pytest.fixture
def engine() -> Engine:
    return build_engine()


@pytest.fixture
def make_engine():
    return lambda **kw: build_engine(replace(RELIABLE, **kw.pop("sim", {})), **kw)
