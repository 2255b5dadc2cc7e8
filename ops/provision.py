"""One-shot preparation of a deployment: the topics, and the development key when no keys are set.

`make run` calls it before starting the services; docker-compose runs it as `python -m ops.provision`
once, before the services start, so that they share one key and find their topics partitioned.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time

from shared.broker import ensure_topics
from shared.http.auth import dev_key
from shared.settings import Settings


def create_topics(settings: Settings, stop: threading.Event | None = None, timeout: float = 60.0) -> bool:
    """True once every topic exists; False if `stop` was set first. Retries while the broker starts."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        try:
            asyncio.run(ensure_topics(settings))
            return True
        except Exception as exc:  # a broker that has just started may refuse the first requests
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not create the topics on {settings.kafka_bootstrap_servers}: {exc}") from exc
            stop.wait(0.5)
    return False


def api_key(settings: Settings) -> str | None:
    """The generated admin key (created once in var/api-key), or None when LAZO_API_KEYS is set."""
    return None if settings.api_keys else dev_key(settings.var_dir)


def main() -> int:
    settings = Settings()
    create_topics(settings, timeout=300)
    print(f"topics ready on {settings.kafka_bootstrap_servers} ({settings.kafka_partitions} partitions each)")
    if api_key(settings):
        print(f"no LAZO_API_KEYS: generated an admin key in {settings.var_dir / 'api-key'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
