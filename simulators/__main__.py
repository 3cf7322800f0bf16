"""``python -m simulators``: same as ``timesync simulate``."""

from simulators.stack import main

raise SystemExit(main())
