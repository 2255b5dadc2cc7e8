"""`make run`: the whole system in the foreground, in one terminal.

Starts the embedded broker when nothing answers on KAFKA_BOOTSTRAP_SERVERS, creates the topics,
makes sure there is an API key, then runs the five services as child processes and merges
their output into one stream, each line prefixed with its service. Ctrl-C stops everything it
started; if a service dies, everything stops with a non-zero exit so the failure is not missed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from shared.settings import SERVICES, Settings
from ops.embedded_broker import EmbeddedBroker, answers, split_bootstrap
from ops.provision import api_key, create_topics

GRACE_S = 10.0  # how long services get to shut down after SIGTERM before SIGKILL
COLOURS = {"lazo": "1", "ingest": "36", "scoring": "35", "alerts": "33", "casework": "32", "surveys": "34"}
WIDTH = max(map(len, COLOURS)) + 2
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


class Console:
    """One output stream for every process; whole lines only, so services never interleave."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def _paint(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self._colour else text

    def line(self, who: str, text: str, code: str | None = None) -> None:
        prefix = self._paint(COLOURS.get(who, "0"), f"[{who}]".ljust(WIDTH))
        with self._lock:
            sys.stdout.write(f"{prefix} {self._paint(code, text) if code else text}\n")
            sys.stdout.flush()

    def say(self, text: str, code: str | None = None) -> None:
        self.line("lazo", text, code)

    def loud(self, text: str) -> None:
        self.say(text, "1;31")

    def raw(self, text: str) -> None:
        """Unprefixed, so a command can be copied and pasted as it is."""
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()


def local_host(settings: Settings) -> str:
    return "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host


def url_of(settings: Settings, service: str) -> str:
    return f"http://{local_host(settings)}:{settings.port_of(service)}"


def start_broker_if_needed(settings: Settings, env: dict[str, str], out: Console) -> EmbeddedBroker | None:
    host, port = split_bootstrap(settings.kafka_bootstrap_servers)
    if answers(host, port):
        out.say(f"using the broker already listening on {settings.kafka_bootstrap_servers}")
        return None
    if host not in LOCAL_HOSTS:
        raise RuntimeError(
            f"no broker answers on {settings.kafka_bootstrap_servers}, and an embedded one "
            "can only be started on this machine (KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092)"
        )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.var_dir / "broker.log"
    out.say(f"starting the embedded broker (Tansu) on {host}:{port}; its log: {log_path}")
    broker = EmbeddedBroker(host, port, log_path=str(log_path)).start()
    if "kafka_idempotence" not in settings.model_fields_set:
        env["LAZO_KAFKA_IDEMPOTENCE"] = "false"  # Tansu has no idempotent producers
    return broker


def spawn(service: str, env: dict[str, str], out: Console) -> subprocess.Popen:
    # Own session: Ctrl-C reaches only this supervisor, which then stops the services in order.
    proc = subprocess.Popen(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )

    def pump() -> None:
        for raw in iter(proc.stdout.readline, b""):
            out.line(service, raw.decode(errors="replace").rstrip())

    threading.Thread(target=pump, name=f"pump-{service}", daemon=True).start()
    return proc


def dead(children: dict[str, subprocess.Popen]) -> tuple[str, int] | None:
    for name, proc in children.items():
        if proc.poll() is not None:
            return name, proc.returncode
    return None


def wait_ready(settings: Settings, children: dict[str, subprocess.Popen], stop: threading.Event, out: Console) -> bool:
    """True once every /readyz says 200; False if stopped or a service died first."""
    pending = set(children)
    last: dict[str, str] = {}
    nagged = time.monotonic()
    with httpx.Client(timeout=2) as http:
        while pending:
            if stop.is_set() or dead(children):
                return False
            for name in sorted(pending):
                try:
                    r = http.get(f"{url_of(settings, name)}/readyz")
                    if r.status_code == 200:
                        pending.discard(name)
                        out.say(f"{name} is ready")
                    else:
                        last[name] = r.text
                except httpx.HTTPError as exc:
                    last[name] = type(exc).__name__
            if pending and time.monotonic() - nagged > 15:
                nagged = time.monotonic()
                out.say("still waiting for " + "; ".join(f"{n} ({last.get(n, 'no answer')})" for n in sorted(pending)))
            stop.wait(0.2)
    return True


def curl_example(settings: Settings, key: str | None) -> str:
    auth = key or "<key from LAZO_API_KEYS>"
    return (
        f"curl -sS -X POST {url_of(settings, 'ingest')}/v1/responses \\\n"
        f"  -H 'Authorization: Bearer {auth}' -H 'Content-Type: application/json' \\\n"
        """  -d '{"response_id": "r-1001", "customer": {"id": "C-42", "email": "ana@example.com"}, """
        """"answers": {"experience": 3, "worth": 4, "recommend": 5}, """
        """"comment": "Nadie me devolvió la llamada"}'\n"""
        f"curl -sS {url_of(settings, 'scoring')}/v1/responses/r-1001 -H 'Authorization: Bearer {auth}'"
    )


def summary(settings: Settings, key: str | None, broker: EmbeddedBroker | None, out: Console) -> None:
    rule = "─" * 64
    out.say(rule, "1")
    out.say("Lazo is running. Ctrl-C stops everything.", "1;32")
    for name in SERVICES:
        url = url_of(settings, name)
        out.say(f"  {name:<9} {url:<24} docs {url}/docs")
    dashboard = f"{url_of(settings, 'casework')}/dashboard/"
    try:
        if httpx.get(dashboard, timeout=2).status_code == 200:
            out.say(f"  {'dashboard':<9} {dashboard}")
    except httpx.HTTPError:
        pass
    where = f"embedded Tansu, memory only, log {settings.var_dir / 'broker.log'}" if broker else "already running"
    out.say(f"  {'broker':<9} {settings.kafka_bootstrap_servers} ({where})")
    db = (
        f"PostgreSQL {settings.database_url.split('@')[-1]}, a schema per service"
        if settings.database_url
        else f"SQLite files in {settings.var_dir}/"
    )
    out.say(f"  {'data':<9} {db}")
    if key:
        out.say(f"  API key (admin): {key}   (saved in {settings.var_dir / 'api-key'})", "1;33")
    else:
        out.say("  API keys: from LAZO_API_KEYS")
    out.say("Try it:", "1")
    out.raw(curl_example(settings, key))
    out.say(rule, "1")


def supervise(children: dict[str, subprocess.Popen], stop: threading.Event, out: Console) -> int:
    while not stop.wait(0.2):
        gone = dead(children)
        if gone:
            name, code = gone
            out.loud(f"✖ {name} exited with code {code}; stopping everything (its last lines are above)")
            return 1
    out.say("stopping…")
    return 0


def stop_all(children: dict[str, subprocess.Popen], out: Console) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + GRACE_S
    for name, proc in children.items():
        try:
            proc.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            out.loud(f"{name} did not stop within {GRACE_S:.0f}s; killing it")
            proc.kill()
            proc.wait()


def main() -> int:
    out = Console()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # create_topics retries; its last error is shown
    settings = Settings()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    broker: EmbeddedBroker | None = None
    children: dict[str, subprocess.Popen] = {}
    try:
        busy = [f"{n} ({settings.port_of(n)})" for n in SERVICES if answers(local_host(settings), settings.port_of(n))]
        if busy:
            out.loud(
                f"ports already in use: {', '.join(busy)}; is Lazo already running? "
                "(LAZO_<SERVICE>_PORT picks other ports)"
            )
            return 1
        broker = start_broker_if_needed(settings, env, out)
        if not create_topics(settings, stop):
            return 0
        out.say(f"topics ready ({settings.kafka_partitions} partitions each)")
        key = api_key(settings)
        if key:
            out.say(f"development API key (admin): {key}", "1;33")
        for name in SERVICES:
            children[name] = spawn(name, env, out)
        if wait_ready(settings, children, stop, out):
            summary(settings, key, broker, out)
        return supervise(children, stop, out)
    except Exception as exc:
        out.loud(f"✖ {exc}")
        return 1
    finally:
        stop_all(children, out)
        if broker:
            broker.stop()
        for pump in threading.enumerate():  # let the services' last lines out first
            if pump.name.startswith("pump-"):
                pump.join(2)
        out.say("stopped")


if __name__ == "__main__":
    sys.exit(main())
