"""Commands registered beyond migrate/doctor/simulate (sync, demo, maintain, grant-analyst)."""

from __future__ import annotations
