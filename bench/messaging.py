"""E-mails per second through the outbox's delivery (messaging.delivery) to a local SMTP
server, with several workers draining at once, and a check that none was sent twice.

    python bench/messaging.py [--db postgresql://root@127.0.0.1:5432/paysim_bench]
                              [--emails 500] [--workers 2] [--batch 50] [--repeat 3]

Without --db: a migrated SQLite file in a temporary directory. With a PostgreSQL URL the
database named there is DROPPED and created again (its name must contain "bench"), then
migrated. An aiosmtpd server on a free 127.0.0.1 port receives the mail (in this process, so
it shares the CPU with the workers, as a relay on the same host would). Each run queues
--emails messages (core.outbox.queue_emails), then --workers threads call deliver_due(limit=
--batch) until nothing is claimed; each batch is one SMTP connection. Printed: each run's
seconds and e-mails/s, the median, and the checks (every message received once, by
Message-ID; every row sent). The exit code is 1 when a check fails.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PAYSIM_SCHEDULER", "0")
os.environ["PAYSIM_DEMO"] = "0"

from aiosmtpd.controller import Controller
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from paysim_app import db as app_db
from paysim_app.settings import get_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Counting:
    """An SMTP server's handler that keeps each message's Message-ID."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        head = (envelope.original_content or envelope.content).split(b"\r\n\r\n", 1)[0]
        mid = next(
            (
                line.split(b":", 1)[1].strip().decode()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"message-id:")
            ),
            "",
        )
        with self.lock:
            self.ids.append(mid)
        return "250 2.0.0 queued"


def _database(url: str | None) -> str:
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="paysim-bench-mail-")) / "bench.db"
        url = f"sqlite:///{path}"
    else:
        parsed = make_url(app_db.normalise_url(url))
        name = parsed.database or ""
        if "bench" not in name:
            sys.exit(f"refusing to drop and recreate database {name!r}: its name must say bench")
        admin = app_db.make_engine(
            parsed.set(database="postgres").render_as_string(hide_password=False)
        )
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url
    command.upgrade(config, "head")
    return url


def _run(n: int, workers: int, batch: int, catcher: Counting) -> tuple[float, list[str]]:
    from paysim_app.core import outbox
    from paysim_app.messaging import delivery
    from paysim_app.messaging.smtp import SmtpSender
    from paysim_app.models import OutboxEmail

    problems: list[str] = []
    with app_db.session_scope() as session:
        session.execute(OutboxEmail.__table__.delete())
        outbox.queue_emails(
            session,
            [
                (f"user{i}@example.ru", f"Уведомление {i}", f"Текст уведомления {i}.", "")
                for i in range(n)
            ],
        )
    with catcher.lock:
        catcher.ids.clear()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            sender = SmtpSender.from_settings()
            while delivery.deliver_due(limit=batch, email_sender=sender)["claimed"]:
                pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - start
    problems += [f"worker error: {e!r}" for e in errors]
    seen = Counter(catcher.ids)
    if len(seen) != n:
        problems.append(f"{len(seen)} distinct messages received, {n} queued")
    twice = [mid for mid, k in seen.items() if k > 1]
    if twice:
        problems.append(f"{len(twice)} messages received more than once")
    with app_db.session_scope() as session:
        states = dict(
            session.execute(
                select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
            ).all()
        )
    if states != {"sent": n}:
        problems.append(f"rows by state: {states}")
    return seconds, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None)
    parser.add_argument("--emails", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    url = _database(args.db)
    catcher = Counting()
    port = _free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    os.environ.update(
        DATABASE_URL=url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        SMTP_SECURITY="none",
        SMTP_FROM="PaySim <noreply@bench.paysim.test>",
    )
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    backend = make_url(app_db.normalise_url(url)).get_backend_name()
    print(
        f"{backend}: {args.emails} e-mails, {args.workers} workers, batches of {args.batch} "
        f"(one SMTP connection each), {os.cpu_count()} cores"
    )
    rates, failed = [], False
    try:
        for i in range(args.repeat):
            seconds, problems = _run(args.emails, args.workers, args.batch, catcher)
            rate = args.emails / seconds
            rates.append(rate)
            verdict = (
                "ok: each message once, every row sent" if not problems else "; ".join(problems)
            )
            failed |= bool(problems)
            print(f"  run {i + 1}: {seconds:6.2f} s  {rate:7.1f} e-mails/s  {verdict}")
    finally:
        controller.stop()
        app_db.get_engine().dispose()
    print(f"median: {statistics.median(rates):.1f} e-mails/s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
