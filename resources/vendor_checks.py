"""Registers each vendor client's cheap authenticated call as a doctor check.

Each vendor client module adds itself here when it exists.
"""

from __future__ import annotations
