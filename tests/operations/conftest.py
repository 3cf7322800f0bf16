"""One production-shaped deployment (webserver + daemon on deploy/dagster.yaml) for the folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.operations.instance import Deployment, start_deployment


@pytest.fixture(scope="package")
def deployment() -> Iterator[Deployment]:
    dep = start_deployment()
    try:
        yield dep
    finally:
        dep.close()
