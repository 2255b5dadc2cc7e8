"""`python -m demo` (or `make demo`): fill a running Lazo with a simulated customer base.

Start Lazo first (`make run`, in another terminal). The URLs come from the same settings as the
services (LAZO_HOST, LAZO_<SERVICE>_PORT); the API key from --api-key, LAZO_API_KEYS, or the
development key `make run` saved in var/api-key.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from shared.http.auth import ROLES
from shared.settings import SERVICES, Settings
from demo.simulator import Config, DemoError, simulate


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=800, help="customers to simulate (default 800)")
    p.add_argument("--months", type=int, default=6, help="months of monthly surveys (default 6)")
    p.add_argument("--program", default="default", help="survey programme (created if new; default 'default')")
    p.add_argument(
        "--control-share",
        type=float,
        default=0.25,
        help="share of selected customers held out as the control group (default 0.25)",
    )
    p.add_argument(
        "--work-share",
        type=float,
        default=0.85,
        help="share of cases the simulated contact center works (default 0.85)",
    )
    p.add_argument("--pace", type=float, default=1.0, help="seconds between waves of casework (default 1)")
    p.add_argument(
        "--seed", type=int, help="random seed, to repeat a run's population and choices (with fresh customer ids)"
    )
    p.add_argument("--timeout", type=float, default=90, help="seconds to wait for the pipeline at each step")
    p.add_argument("--api-key", help="an admin API key (default: LAZO_API_KEYS, then var/api-key)")
    args = p.parse_args(argv)
    if not 1 <= args.customers <= 100_000 or not 1 <= args.months <= 36:
        p.error("--customers must be 1–100000 and --months 1–36")
    if not 0 <= args.control_share <= 1 or not 0 <= args.work_share <= 1:
        p.error("--control-share and --work-share are fractions between 0 and 1")
    return args


def keys(settings: Settings, api_key: str | None) -> dict[str, str]:
    """role -> key: the one given, the configured ones, or the development key (never created here)."""
    if api_key:
        return {"admin": api_key}
    if settings.api_keys:
        out: dict[str, str] = {}
        for item in filter(None, (p.strip() for p in settings.api_keys.split(","))):
            key, _, role = item.rpartition(":")
            if role in ROLES and key:
                out.setdefault(role, key)
        return out
    path = settings.var_dir / "api-key"
    if not path.exists():
        raise DemoError(
            f"no API key: set LAZO_API_KEYS, pass --api-key, or start Lazo with `make run` (it saves its key in {path})"
        )
    return {"admin": path.read_text().strip()}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    settings = Settings()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    try:
        config = Config(
            urls={s: f"http://{host}:{settings.port_of(s)}" for s in SERVICES},
            keys=keys(settings, args.api_key),
            program=args.program,
            customers=args.customers,
            months=args.months,
            control_share=args.control_share,
            work_share=args.work_share,
            pace=args.pace,
            seed=args.seed,
            timeout=args.timeout,
        )
        asyncio.run(simulate(config, say=lambda line: print(f"[demo] {line}", flush=True)))
    except DemoError as exc:
        print(f"[demo] ✖ {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
