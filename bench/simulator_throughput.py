"""Records/s served by the simulators with limits off, and the simulator process's peak RSS.

    .venv/bin/python bench/simulator_throughput.py [--scale large] [--vendors harvest,forecast]

The simulator runs in a child process (``--serve``) so its RSS is its own; RSS is read from
``/proc/<pid>/status`` (VmRSS now, VmHWM peak) after 10 %, 50 % and 100 % of the stream, to show that
memory stays flat while the whole stream is served. Add a vendor by adding a function to ``BENCHES``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def bench_harvest(env: dict[str, str], pid: int) -> dict[str, object]:
    """Page every Harvest time entry at 2000/page by following links.next."""
    headers = {"Authorization": f"Bearer {env['HARVEST_ACCESS_TOKEN']}", "User-Agent": "bench (b@b.test)",
               "Harvest-Account-Id": env["HARVEST_ACCOUNT_ID"]}
    marks: dict[str, dict[str, int]] = {}
    with httpx.Client(base_url=env["HARVEST_BASE_URL"], headers=headers, timeout=60) as client:
        url: str | None = "/v2/time_entries?per_page=2000"
        records = requests = 0
        total = None
        started = time.perf_counter()
        while url:
            body = client.get(url).raise_for_status().json()
            total = body["total_entries"]
            records += len(body["time_entries"])
            requests += 1
            url = body["links"]["next"]
            for pct in (10, 50):
                if f"{pct}%" not in marks and records >= total * pct / 100:
                    marks[f"{pct}%"] = rss_kib(pid)
        elapsed = time.perf_counter() - started
    marks["100%"] = rss_kib(pid)
    return {"stream": "harvest time_entries", "records": records, "total_entries": total, "requests": requests,
            "seconds": round(elapsed, 1), "records_per_s": round(records / elapsed), "rss_kib": marks}


def bench_forecast(env: dict[str, str], pid: int) -> dict[str, object]:
    """Walk Forecast assignments in 180-day windows over 12 months back / 6 ahead (overlap repeats rows)."""
    headers = {"Authorization": f"Bearer {env['HARVEST_ACCESS_TOKEN']}",
               "Forecast-Account-ID": env["FORECAST_ACCOUNT_ID"]}
    anchor = date.fromisoformat(env["ANCHOR"])
    records = requests = 0
    ids: set[int] = set()
    started = time.perf_counter()
    with httpx.Client(base_url=env["FORECAST_BASE_URL"], headers=headers, timeout=60) as client:
        start = anchor - timedelta(days=365)
        while start < anchor + timedelta(days=183):
            end = start + timedelta(days=180)
            rows = client.get("/assignments", params={"start_date": start.isoformat(),
                                                      "end_date": end.isoformat()}).raise_for_status().json()
            records += len(rows["assignments"])
            ids.update(r["id"] for r in rows["assignments"])
            requests += 1
            start = end + timedelta(days=1)
    elapsed = time.perf_counter() - started
    return {"stream": "forecast assignments", "records": records, "distinct": len(ids), "requests": requests,
            "seconds": round(elapsed, 2), "records_per_s": round(records / elapsed), "rss_kib": {"100%": rss_kib(pid)}}


BENCHES: dict[str, Callable[[dict[str, str], int], dict[str, object]]] = {
    "harvest": bench_harvest, "forecast": bench_forecast}


def serve(vendors: list[str], scale: str) -> None:
    from simulators.stack import start_stack

    stack = start_stack(["acme"], scale, seed=1, rate_limit_scale=0, vendors=tuple(vendors))
    print(json.dumps({**stack.env(), "ANCHOR": stack.world().anchor.isoformat()}), flush=True)
    sys.stdin.read()
    stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="large")
    parser.add_argument("--vendors", default="harvest,forecast")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    vendors = [v for v in args.vendors.split(",") if v]
    if args.serve:
        serve(vendors, args.scale)
        return
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--scale", args.scale, "--vendors", args.vendors],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        env = json.loads(child.stdout.readline())
        print(f"simulator pid {child.pid}, scale {args.scale}, RSS after start {rss_kib(child.pid)} KiB")
        for vendor in vendors:
            print(json.dumps(BENCHES[vendor](env, child.pid)))
    finally:
        child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
