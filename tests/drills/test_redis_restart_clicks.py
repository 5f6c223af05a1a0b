"""Drill 4: the Redis holding the click buffer restarts (SHUTDOWN, or kill -9) with clicks in it.

A dedicated redis-server (a free port, its data directory in tmp_path) is the click buffer:
settings.REDIS_URL points the real ``/r/<code>`` view and the flush at it. Visitors click two
affiliates' links; part of the clicks is flushed to PostgreSQL, the rest stays buffered. Redis
goes down, visitors keep clicking while it is down, Redis comes back on the same directory,
visitors click again, and the flush runs. Every click must be stored, once.

Production runs this Redis with the append-only file (docs/SCALING.md: ``appendonly yes``);
with ``appendfsync always`` even kill -9 loses nothing. The third case is a Redis without any
persistence (how CI's Redis runs): the buffered clicks are gone after its restart, which is
why production must not run the buffer that way. While Redis is down the redirect still lands
the visitor and counts the click straight into PostgreSQL (affiliates.clicks).
"""

import contextlib
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.db.models import Sum

from affiliates.clicks import clicks_flush
from affiliates.models import ClickDaily
from tests.affiliates.factories import join, make_offer
from tests.conftest import make_creator, skip_or_fail
from tests.drills.conftest import assert_books_clean, free_port, report
from tests.shops.factories import make_product, make_shop

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
PERSISTENCE = {
    "aof": ["--appendonly", "yes", "--appendfsync", "always", "--save", ""],
    "none": ["--appendonly", "no", "--save", ""],
}


@dataclass
class RedisServer:
    """One redis-server process on a fixed port and data directory, restartable."""

    port: int
    directory: Path
    options: list[str]
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            skip_or_fail("redis-server is not installed (apt-get install redis-server)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen([*command, *self.options], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return
            except redis.RedisError:  # not listening yet, or still loading its file
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def shutdown(self) -> None:
        """SHUTDOWN: Redis writes what its persistence config says it must, then exits."""
        with contextlib.suppress(redis.ConnectionError):  # it may close the connection first
            redis.Redis.from_url(self.url).shutdown()
        assert self.process is not None
        self.process.wait(timeout=20)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def click_redis(request, tmp_path, settings):
    server = RedisServer(port=free_port(), directory=tmp_path, options=PERSISTENCE[request.param])
    server.start()
    settings.REDIS_URL = server.url  # the click buffer, its script and the flush use this Redis
    try:
        yield server
    finally:
        server.stop()


def stored() -> tuple[int, int]:
    totals = ClickDaily.objects.aggregate(raw=Sum("raw"), unique=Sum("unique_clicks"))
    return totals["raw"] or 0, totals["unique"] or 0


@pytest.mark.parametrize(
    ("click_redis", "stop", "survives"),
    [("aof", "shutdown", True), ("aof", "kill -9", True), ("none", "shutdown", False)],
    indirect=["click_redis"],
    ids=["aof-shutdown", "aof-kill9", "no-persistence-shutdown"],
)
def test_buffered_clicks_survive_a_redis_restart(click_redis, stop, survives, client, stripe_service):
    # given: two affiliates' links to a seller's product
    seller = make_creator("seller", country="US")
    shop = make_shop(seller, slug="drill-shop")
    offer = make_offer(shop, product=make_product(shop, title="Guide", price="20.00"))
    codes = [join(offer, make_creator(f"aff{n}", country="US")).code for n in range(2)]
    visits = 0

    def visit(n: int) -> None:
        nonlocal visits
        ip = f"10.{n // 60000}.{n // 250 % 240}.{n % 250 + 1}"
        response = client.get(f"/r/{codes[n % 2]}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=ip)
        assert response.status_code == 302 and "/p/" in response["Location"], response
        visits += 1

    # 100 clicks flushed to PostgreSQL, then 200 more (and 50 repeats: raw only) left in Redis
    for n in range(100):
        visit(n)
    assert clicks_flush() == 100
    for n in range(100, 300):
        visit(n)
    for n in range(100, 150):
        visit(n)  # the same visitors again
    buffered = visits - 100
    assert stored() == (100, 100)

    # when: Redis stops, visitors click while it is down, it starts again, they click again
    click_redis.shutdown() if stop == "shutdown" else click_redis.kill()
    for n in range(300, 320):
        visit(n)  # still redirected, counted straight into PostgreSQL
    during_outage = 20
    click_redis.start()
    for n in range(320, 350):
        visit(n)
    flushed = clicks_flush()

    # then: with the append-only file, every click once; without persistence the buffer is lost
    if survives:
        assert flushed == buffered + 30
        # The 50 repeats count raw only; so do the clicks made while Redis was down, since the
        # repeat window lives in Redis and a click that cannot be checked is not called unique.
        assert stored() == (visits, visits - 50 - during_outage)
    else:
        assert flushed == 30
        assert stored()[0] == visits - buffered
    assert clicks_flush() == 0  # nothing counted twice by a second flush
    assert_books_clean()
    report(
        f"redis restart ({'AOF always' if survives else 'no persistence'}, {stop})",
        clicks=visits,
        buffered_at_restart=buffered,
        clicked_while_down=during_outage,
        stored_raw=stored()[0],
        stored_unique=stored()[1],
        lost=visits - stored()[0],
    )
