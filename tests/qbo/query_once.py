"""`python -m tests.qbo.query_once <Entity>`: one authenticated QBO query from a process of its own.

It builds its token store and client from the environment as a run does (no Dagster import, to start fast).
"""

from __future__ import annotations

import sys

from resources.config import load_companies
from resources.mysql import Database
from resources.qbo import QboClient, stored_tokens


def main(entity: str) -> int:
    connection = load_companies()[0].qbo
    assert connection is not None
    with QboClient(connection, stored_tokens(Database.from_env(), connection), throttle_wait=0.2) as client:
        print(client.count(entity, []))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
