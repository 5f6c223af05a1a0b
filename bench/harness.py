"""What every benchmark shares: the database, a gunicorn server, wrk, pgbench, the results file."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


@dataclass
class Result:
    value: float
    unit: str
    anchor: float
    ratio: float
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs DATABASE_URL pointing at PostgreSQL (see README, Benchmarks).")
    return url


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist, then migrate it."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=server_env(),
    )


def server_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "false"}
    env.update(extra)
    return env


def celery_workers(count: int, *, queue: str, name: str) -> list[subprocess.Popen]:
    """``count`` real Celery worker processes (solo pool) consuming ``queue``, against the
    benchmark database and broker. Their errors go to ``<tmp>/bench-<name>-worker-<n>.log``:
    read it when a worker dies or the work never finishes."""
    env = server_env(CELERY_TASK_ALWAYS_EAGER="false")
    logs = Path(tempfile.gettempdir())
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
    options = ["--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    return [
        subprocess.Popen(
            [*command, "-n", f"{name}{n}@%h", *options],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"bench-{name}-worker-{n}.log").open("w"),
        )
        for n in range(count)
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(workers: int = 4, **env: str) -> Iterator[str]:
    """Serve the project with gunicorn as docker-compose does (4 sync workers) on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=server_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  our own loopback server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


@dataclass
class LoadResult:
    requests_per_second: float
    requests: int
    errors: int
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float


WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    "JSON {\\"requests\\": %d, \\"errors\\": %d, \\"p50\\": %f, \\"p95\\": %f, \\"p99\\": %f}\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(url: str, *, seconds: int = 10, connections: int = 16, threads: int = 2) -> LoadResult:
    """Load a URL with wrk (Debian's package) and read its summary, errors included."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    script = ROOT / "bench" / ".wrk-report.lua"
    script.write_text(WRK_REPORT)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink(missing_ok=True)
    summary = json.loads(output.split("JSON ", 1)[1].splitlines()[0])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return LoadResult(
        rps, summary["requests"], summary["errors"], summary["p50"], summary["p95"], summary["p99"]
    )


@dataclass
class Comparison:
    measured: LoadResult
    anchor: LoadResult
    rounds: int

    @property
    def ratio(self) -> float:
        return self.measured.requests_per_second / self.anchor.requests_per_second


def compare_load(measured_url: str, anchor_url: str, *, rounds: int = 3, seconds: int = 5) -> Comparison:
    """Load the anchor and the measured URL in alternating rounds; keep the median round of each.

    On a small machine the load tool, the server and the database share the cores, so one
    long run of each is at the mercy of whatever else happens in that window. Interleaving
    exposes both to the same conditions, and the median discards a disturbed round.
    """
    wrk(measured_url, seconds=2)  # warm-up: connections, caches, the planner
    wrk(anchor_url, seconds=2)
    measured: list[LoadResult] = []
    anchor: list[LoadResult] = []
    for round_number in range(rounds):
        pair = [(anchor_url, anchor), (measured_url, measured)]
        for url, into in pair if round_number % 2 == 0 else reversed(pair):
            into.append(wrk(url, seconds=seconds))
    return Comparison(measured=_median(measured), anchor=_median(anchor), rounds=rounds)


def _median(results: list[LoadResult]) -> LoadResult:
    ordered = sorted(results, key=lambda r: r.requests_per_second)
    median = ordered[len(ordered) // 2]
    errors = sum(r.errors for r in results)
    return LoadResult(
        median.requests_per_second,
        sum(r.requests for r in results),
        errors,
        median.latency_p50_ms,
        median.latency_p95_ms,
        median.latency_p99_ms,
    )


def pgbench_tps(url: str, *, scale: int = 10, clients: int = 8, seconds: int = 20) -> float:
    """TPC-B transactions per second on the same server (pgbench -i -s 10, 8 clients, 20 s)."""
    parts = urlparse(url)
    pg_url = parts._replace(path="/platform_pgbench").geturl()
    admin = parts._replace(path="/postgres").geturl()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'platform_pgbench'").fetchone():
            conn.execute("CREATE DATABASE platform_pgbench")
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), pg_url], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), pg_url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def write_results(results: dict[str, Result]) -> None:
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing.update({name: result.as_dict() for name, result in results.items()})
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


def print_table(results: dict[str, Result]) -> None:
    rows = [("benchmark", "value", "unit", "anchor", "ratio", "notes")]
    rows += [
        (n, f"{r.value:,.1f}", r.unit, f"{r.anchor:,.1f}", f"{r.ratio:.2f}", r.notes)
        for n, r in results.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5])
