"""Start the four vendor simulators over one set of worlds: ``start_stack()`` and ``timesync simulate``.

Each vendor module exposes ``build(registry, rate_limit_scale=...) -> VendorApp`` (or
``build_<vendor>_app``); one server per vendor
serves every company (Harvest by ``Harvest-Account-Id``, Forecast by ``Forecast-Account-ID``, QBO by the
realm in the path, Jira by the ``/site/<company>`` prefix). A vendor app may define
``env(world, base_url) -> dict[str, str]`` to override the default variables below.
``rate_limit_scale`` multiplies every rate-limit window (0 disables limits).
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from simulators.framework import SimServer, VendorApp
from simulators.world import World, WorldRegistry

VENDORS = ("harvest", "forecast", "qbo", "jira")


@dataclass
class SimulatorStack:
    registry: WorldRegistry
    servers: dict[str, SimServer] = field(default_factory=dict)

    def world(self, company: str | None = None) -> World:
        return self.registry.get(company)

    def truth(self, company: str | None = None) -> dict[str, Any]:
        return self.registry.get(company).truth()

    def url(self, vendor: str) -> str:
        return self.servers[vendor].base_url if vendor in self.servers else ""

    def env(self, company: str | None = None) -> dict[str, str]:
        w = self.registry.get(company)
        env = {
            "TIMESYNC_COMPANY_KEY": w.company, "TIMESYNC_COMPANY_NAME": w.name,
            "HARVEST_BASE_URL": self.url("harvest"), "HARVEST_ACCOUNT_ID": w.harvest_account_id,
            "HARVEST_ACCESS_TOKEN": w.harvest_token, "HARVEST_USER_AGENT": f"timesync (ops@{w.company}.test)",
            "FORECAST_BASE_URL": self.url("forecast"), "FORECAST_ACCOUNT_ID": w.forecast_account_id,
            "QBO_BASE_URL": self.url("qbo"), "QBO_TOKEN_URL": f"{self.url('qbo')}/oauth2/v1/tokens/bearer",
            "QBO_REALM_ID": w.qbo_realm_id, "QBO_CLIENT_ID": w.qbo_client_id,
            "QBO_CLIENT_SECRET": w.qbo_client_secret, "QBO_REFRESH_TOKEN": w.qbo_refresh_token,
            "JIRA_BASE_URL": f"{self.url('jira')}/site/{w.jira_site}", "JIRA_EMAIL": w.jira_email,
            "JIRA_API_TOKEN": w.jira_api_token,
        }
        for server in self.servers.values():
            hook = getattr(server.app, "env", None)
            if callable(hook):
                env.update(hook(w, server.base_url))
        return env

    def connections(self) -> list[dict[str, Any]]:
        out = []
        for w in self.registry.worlds():
            e, up = self.env(w.company), w.company.upper()
            entry: dict[str, Any] = {"key": w.company, "name": w.name}
            if "harvest" in self.servers:
                entry["harvest"] = {"account_id": w.harvest_account_id, "base_url": e["HARVEST_BASE_URL"],
                                    "user_agent": e["HARVEST_USER_AGENT"],
                                    "access_token_env": f"{up}_HARVEST_ACCESS_TOKEN"}
            if "forecast" in self.servers:
                entry["forecast"] = {"account_id": w.forecast_account_id, "base_url": e["FORECAST_BASE_URL"]}
            if "qbo" in self.servers:
                entry["qbo"] = {"realm_id": w.qbo_realm_id, "base_url": e["QBO_BASE_URL"],
                                "token_url": e["QBO_TOKEN_URL"], "client_id_env": f"{up}_QBO_CLIENT_ID",
                                "client_secret_env": f"{up}_QBO_CLIENT_SECRET",
                                "refresh_token_env": f"{up}_QBO_REFRESH_TOKEN"}
            if "jira" in self.servers:
                entry["jira"] = {"base_url": e["JIRA_BASE_URL"], "email": e["JIRA_EMAIL"],
                                 "api_token_env": f"{up}_JIRA_API_TOKEN"}
            out.append(entry)
        return out

    def connections_yaml(self) -> str:
        return yaml.safe_dump({"companies": self.connections()}, sort_keys=False)

    def env_for_connections(self) -> dict[str, str]:
        out = {}
        for w in self.registry.worlds():
            e, up = self.env(w.company), w.company.upper()
            out[f"{up}_HARVEST_ACCESS_TOKEN"] = e["HARVEST_ACCESS_TOKEN"]
            if "qbo" in self.servers:
                out[f"{up}_QBO_CLIENT_ID"] = e["QBO_CLIENT_ID"]
                out[f"{up}_QBO_CLIENT_SECRET"] = e["QBO_CLIENT_SECRET"]
                out[f"{up}_QBO_REFRESH_TOKEN"] = e["QBO_REFRESH_TOKEN"]
            if "jira" in self.servers:
                out[f"{up}_JIRA_API_TOKEN"] = e["JIRA_API_TOKEN"]
        return out

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def _load_app(vendor: str, registry: WorldRegistry, rate_limit_scale: float) -> VendorApp | None:
    try:
        module = importlib.import_module(f"simulators.{vendor}")
    except ModuleNotFoundError as exc:
        if exc.name == f"simulators.{vendor}":
            return None
        raise
    factory = getattr(module, "build", None) or getattr(module, f"build_{vendor}_app")
    return factory(registry, rate_limit_scale=rate_limit_scale)


def start_stack(companies: list[str] | None = None, scale: str = "tiny", seed: int = 1,
                rate_limit_scale: float = 1.0, anchor: date | None = None,
                port_base: int | None = None, vendors: tuple[str, ...] = VENDORS) -> SimulatorStack:
    registry = WorldRegistry(World(c, scale, seed, anchor) for c in (companies or ["acme"]))
    stack = SimulatorStack(registry)
    try:
        for n, vendor in enumerate(vendors):
            app = _load_app(vendor, registry, rate_limit_scale)
            if app is not None:
                slot = VENDORS.index(vendor) if vendor in VENDORS else n
                port = 0 if port_base is None else port_base + slot
                stack.servers[vendor] = SimServer(app, port=port).start()
    except BaseException:
        stack.stop()
        raise
    return stack


def _vendor_list(value: str) -> tuple[str, ...]:
    picked = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    unknown = [v for v in picked if v not in VENDORS]
    if unknown or not picked:
        raise argparse.ArgumentTypeError(f"unknown vendor(s) {', '.join(unknown) or '(none)'}; "
                                         f"choose from {', '.join(VENDORS)}")
    # keep the documented port order (harvest N, forecast N+1, ...) whatever order was typed
    return tuple(v for v in VENDORS if v in picked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="timesync simulate", description="Serve the vendor simulators.")
    parser.add_argument("--companies", default="acme", help="comma-separated company keys")
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit-scale", type=float, default=1.0,
                        help="multiplies rate-limit windows; 0 disables them")
    parser.add_argument("--port-base", type=int, default=None,
                        help="harvest on N, forecast N+1, qbo N+2, jira N+3 (default: free ports)")
    parser.add_argument("--anchor", type=date.fromisoformat, default=None, help="the world's today")
    parser.add_argument("--vendors", type=_vendor_list, default=VENDORS,
                        help=f"comma-separated subset of {','.join(VENDORS)} (default: all)")
    args = parser.parse_args(argv)
    stack = start_stack([c.strip() for c in args.companies.split(",") if c.strip()], args.scale, args.seed,
                        args.rate_limit_scale, args.anchor, args.port_base, args.vendors)
    conn = Path(tempfile.mkdtemp(prefix="timesync-sim-")) / "connections.yaml"
    conn.write_text(stack.connections_yaml())
    exports = {**stack.env(), **stack.env_for_connections(), "TIMESYNC_CONNECTIONS": str(conn)}
    lines = [f"export {k}={shlex.quote(v)}" for k, v in exports.items()]
    print("\n".join(lines), flush=True)
    print(f"# serving {', '.join(stack.servers)} for {args.companies} ({args.scale}); Ctrl-C to stop",
          file=sys.stderr, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
