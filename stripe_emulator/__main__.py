"""``python -m stripe_emulator --port 12111 [--state-file PATH] [--webhook-url URL] [--webhook-secret S]``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os

from .server import Emulator
from .webhooks import DEFAULT_SECRET


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator", description="A local, stateful Stripe."
    )
    parser.add_argument("--host", default=env("STRIPE_EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("STRIPE_EMULATOR_PORT", "12111")))
    parser.add_argument(
        "--state-file", default=env("STRIPE_EMULATOR_STATE_FILE"), help="persist state as JSON here"
    )
    parser.add_argument(
        "--webhook-url",
        action="append",
        default=[url for url in env("STRIPE_EMULATOR_WEBHOOK_URL", "").split(",") if url],
        help="deliver events here (repeatable; env: comma-separated)",
    )
    parser.add_argument("--webhook-secret", default=env("STRIPE_EMULATOR_WEBHOOK_SECRET", DEFAULT_SECRET))
    parser.add_argument(
        "--public-url", default=env("STRIPE_EMULATOR_PUBLIC_URL"), help="base URL browsers use"
    )
    parser.add_argument("--webhook-retry-base", type=float, default=1.0, help="first retry delay, seconds")
    parser.add_argument("--webhook-retry-max", type=float, default=60.0, help="longest retry delay, seconds")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s"
    )
    emulator = Emulator(
        args.host,
        args.port,
        state_file=args.state_file,
        webhook_urls=args.webhook_url,
        webhook_secret=args.webhook_secret,
        public_url=args.public_url,
        webhook_retry_base=args.webhook_retry_base,
        webhook_retry_max=args.webhook_retry_max,
    )
    logging.getLogger("stripe_emulator").warning(
        "Stripe emulator on %s (webhooks: %s)", emulator.base_url, ", ".join(args.webhook_url) or "none"
    )
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()


if __name__ == "__main__":
    main()
