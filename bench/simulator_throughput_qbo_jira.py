"""Records/s the QBO and Jira simulators serve with rate limits off, and the simulator's peak RSS.

Usage: ``python bench/simulator_throughput_qbo_jira.py [--scale large] [--pages N]``. The simulators
run in a child process (so its RSS is theirs alone); this process is the client. QBO: TimeActivity
paged with ``ORDER BY Metadata.LastUpdatedTime STARTPOSITION n MAXRESULTS 1000``. Jira:
``worklog/updated`` pages, each followed by ``worklog/list`` of its ids.
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import subprocess
import sys
import time
from datetime import date

import httpx

ANCHOR = date(2026, 6, 1)


def serve(scale: str) -> None:
    from simulators.jira import build_jira_simulator
    from simulators.qbo import build_qbo_simulator
    from simulators.world import World, WorldRegistry

    world = World("acme", scale, 1, ANCHOR)
    world.clock.control(freeze="2026-06-01T12:00:00Z")
    registry = WorldRegistry([world])
    qbo = build_qbo_simulator(registry, rate_limit_scale=0).start()
    jira = build_jira_simulator(registry, rate_limit_scale=0).start()
    print(json.dumps({"qbo": qbo.base_url, "jira": f"{jira.base_url}/site/{world.jira_site}",
                      "realm": world.qbo_realm_id, "client": [world.qbo_client_id, world.qbo_client_secret],
                      "refresh": world.qbo_refresh_token, "jira_auth": [world.jira_email, world.jira_api_token],
                      "worklogs": world.scale.worklogs, "time_activities": world.scale.time_activities}),
          flush=True)
    sys.stdin.readline()
    print(json.dumps({"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
          flush=True)


def bench_qbo(info: dict, pages: int) -> dict:
    http = httpx.Client(base_url=info["qbo"], timeout=120)
    basic = base64.b64encode(":".join(info["client"]).encode()).decode()
    token = http.post("/oauth2/v1/tokens/bearer", headers={"Authorization": f"Basic {basic}"},
                      data={"grant_type": "refresh_token", "refresh_token": info["refresh"]}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    rows, requests, start = 0, 0, time.perf_counter()
    position = 1
    while requests < pages:
        query = (f"SELECT * FROM TimeActivity ORDER BY Metadata.LastUpdatedTime STARTPOSITION {position} "
                 "MAXRESULTS 1000")
        body = http.get(f"/v3/company/{info['realm']}/query", params={"query": query}, headers=headers).json()
        page = body["QueryResponse"].get("TimeActivity", [])
        requests += 1
        rows += len(page)
        position += len(page)
        if len(page) < 1000:
            break
    elapsed = time.perf_counter() - start
    return {"records": rows, "requests": requests, "seconds": round(elapsed, 2),
            "records_per_s": round(rows / elapsed), "of_total": info["time_activities"]}


def bench_jira(info: dict, pages: int) -> dict:
    http = httpx.Client(base_url=info["jira"], timeout=300, auth=tuple(info["jira_auth"]))
    start = time.perf_counter()
    http.get("/rest/api/3/worklog/updated", params={"since": 0})  # first call builds the site's index
    index_seconds = time.perf_counter() - start
    rows, requests, since, start = 0, 0, 0, time.perf_counter()
    while requests < pages:
        feed = http.get("/rest/api/3/worklog/updated", params={"since": since}).json()
        ids = [v["worklogId"] for v in feed["values"]]
        if ids:
            rows += len(http.post("/rest/api/3/worklog/list", json={"ids": ids}).json())
        requests += 2
        if feed["lastPage"]:
            break
        since = feed["until"]
    elapsed = time.perf_counter() - start
    return {"index_build_seconds": round(index_seconds, 2), "records": rows, "requests": requests,
            "seconds": round(elapsed, 2), "records_per_s": round(rows / elapsed), "of_total": info["worklogs"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="large")
    parser.add_argument("--pages", type=int, default=40, help="pages per API (0 = all)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.scale)
        return
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--scale", args.scale],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout and child.stdin
        info = json.loads(child.stdout.readline())
        pages = args.pages or 10**9
        result = {"scale": args.scale, "qbo_time_activities": bench_qbo(info, pages),
                  "jira_worklogs": bench_jira(info, pages)}
        child.stdin.write("stop\n")
        child.stdin.flush()
        result.update(json.loads(child.stdout.readline()))
        print(json.dumps(result, indent=2))
    finally:
        child.kill()


if __name__ == "__main__":
    main()
