"""What the door's check of a tab's sign-in costs: `accounts.identity.resolve_session`, run on
every event of a signed-in tab (ui/auth/session.py), timed per call with its SQL round trips.

    python bench/door_check.py --db postgresql://root@127.0.0.1:5432/paysim_bench --repeat 2000

It signs in the bench database's superadmin (bench/admin_data.py: admin@paysim.example) and a
bench subscriber (client1@bench.example.com) through `identity.sign_in`, then resolves each
token `--repeat` times, each call in its own unit of work as the door runs it, and prints the
median, p95 and the CPU of this process per call, and the statements one call sends. The
sessions it opened are revoked at the end.
"""

# ruff: noqa: E402  (the project root goes on sys.path first)

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the bench database (bench/admin_data.py)")
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--admin-password", default=os.environ.get("PAYSIM_BENCH_ADMIN_PASSWORD"))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("PAYSIM_BCRYPT_ROUNDS", "4")

    from sqlalchemy import event

    from bench.load import admin_password_from_log
    from paysim_app.accounts import identity
    from paysim_app.db import get_engine

    admin = "admin@paysim.example"
    logins = {
        "superadmin": (admin, args.admin_password or admin_password_from_log(admin)),
        "subscriber": ("client1@bench.example.com", "bench-password-1"),
    }
    tokens = {who: identity.sign_in(*login)[0] for who, login in logins.items()}
    statements: list[str] = []
    event.listen(
        get_engine(), "before_cursor_execute", lambda *a: statements.append(a[2].split()[0])
    )
    print(f"{'actor':12} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8}  statements per call")
    for who, token in tokens.items():
        assert identity.resolve_session(token) is not None, who
        statements.clear()
        identity.resolve_session(token)
        sent = list(statements)
        times = []
        cpu = time.process_time()
        for _ in range(args.repeat):
            started = time.perf_counter()
            identity.resolve_session(token)
            times.append(time.perf_counter() - started)
        cpu = (time.process_time() - cpu) / args.repeat
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{who:12} {statistics.median(times) * 1000:8.2f} {p95 * 1000:8.2f} "
            f"{cpu * 1000:8.2f}  {len(sent)} ({', '.join(sent)})"
        )
    for token in tokens.values():
        identity.sign_out(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
