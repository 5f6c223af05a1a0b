"""A local, stateful Stripe for tests and the zero-setup run; see README.md."""

from __future__ import annotations

from .client import EmulatorControl
from .server import Emulator
from .webhooks import DEFAULT_SECRET, sign

__all__ = ["DEFAULT_SECRET", "Emulator", "EmulatorControl", "sign"]
