"""Two app instances behind one address, as on two app machines: nginx (deploy/proxy.py's
configuration, TLS on 443) in front of two `reflex run --env prod --backend-only` processes
with two workers each, sharing one PostgreSQL database and one Redis. nginx serves the frontend
this run has already built (.web/build/client): it is not built again.

A subscriber signs in through the proxy in Chromium. The instance holding the tab's event
socket is stopped (SIGTERM, as a deploy or a machine going down does); the tab reconnects
through the proxy to the other instance and stays signed in: its next event (the language
switch) changes the page. Meanwhile every worker of both instances runs the scheduler, and
the one lease holder alone bills each due SIM once and sends each queued e-mail once (SMTP to a
local aiosmtpd server): the rows and the mails are counted.

Why 443: the frontend was built for http://localhost:<the run's app port>; on an https page
Reflex's client aims its socket at the page's own host on the default port, as behind any TLS
proxy, so the already built frontend works through the proxy unchanged.
"""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlmodel import Session

from deploy.proxy import render
from paysim_app.core import outbox
from paysim_app.models import OutboxEmail
from tests.conftest import Factory, postgres_server_url
from tests.e2e.conftest import shot
from tests.jobs.test_two_workers import (
    STARTUP_TIMEOUT,
    Server,
    _answers_ping,
    _assert_ledger_matches,
    _due_sims,
    _fees,
    _lease,
    _start,
    _wait,
    db,  # noqa: F401  (fixture)
    jobs_db,  # noqa: F401  (fixture)
)
from tests.messaging.conftest import MailCatcher, _certificates, free_port

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / ".web" / "build" / "client"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of this test's own, emptied first
PUBLIC = "https://localhost"
PASSWORD = "two-instances-1"
MAILS = 6


def _port_443_free() -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 443))
        except OSError:
            return False
    return True


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def _missing() -> str | None:
    if not postgres_server_url():
        return "PAYSIM_TEST_POSTGRES_URL is not set"
    if not Path(NGINX).exists():
        return "nginx is not installed (apt-get install nginx; .ci/run does)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {REDIS_URL}: {exc}"
    if not _port_443_free():
        return "port 443 is taken or not ours to bind (the proxy listens there)"
    return None


MISSING = _missing()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]


# --------------------------------------------------------------------------- the proxy


def _nginx_conf(work: Path, servers: list[Server]) -> Path:
    _ca, cert, key = _certificates(work)
    listen = ["127.0.0.1:443", *(["[::1]:443"] if _ipv6_loopback() else [])]
    site = work / "paysim.conf"
    site.write_text(
        render(
            [f"127.0.0.1:{s.port}" for s in servers],
            listen=listen,
            server_name="localhost",
            certificate=cert,
            certificate_key=key,
            static_root=str(FRONTEND),
        )
    )
    temp = "\n".join(
        f"    {kind}_temp_path {work / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    main = work / "nginx.conf"
    main.write_text(
        f"""user root;
worker_processes 1;
daemon off;
pid {work / "nginx.pid"};
error_log {work / "nginx-error.log"} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {work / "nginx-access.log"};
{temp}
    uwsgi_temp_path {work / "uwsgi"};
    scgi_temp_path {work / "scgi"};
    include {site};
}}
"""
    )
    return main


def _through_proxy(path: str) -> bool:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"{PUBLIC}{path}", timeout=2, context=context) as resp:
            return resp.status == 200
    except OSError:
        return False


def _proxy_up(nginx: subprocess.Popen, work: Path) -> bool:
    if nginx.poll() is not None:
        log = (work / "nginx-error.log").read_text(errors="replace")[-3000:]
        pytest.fail(f"nginx exited ({nginx.returncode}):\n{log}")
    return _through_proxy("/ping")


def _sockets_to(port: int) -> int:
    """Established TCP connections accepted on 127.0.0.1:`port` (nginx keeps none open but a
    proxied websocket: it closes each plain request's upstream connection)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def _holding_the_tab(servers: list[Server]) -> Server | None:
    holding = [s for s in servers if s.proc.poll() is None and _sockets_to(s.port)]
    return holding[0] if len(holding) == 1 else None


# --------------------------------------------------------------------------- data


def _queue_mails(session: Session, n: int) -> None:
    for i in range(n):
        outbox.queue_email(session, f"reader{i}@example.ru", f"Письмо {i}", f"Текст письма {i}")
    session.commit()


def _outbox(session: Session) -> list[OutboxEmail]:
    session.rollback()
    session.expire_all()
    return list(session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars())


def _all_sent(session: Session, catcher: MailCatcher) -> bool:
    rows = _outbox(session)
    return (
        bool(rows) and all(r.status == "sent" for r in rows) and len(catcher.received) >= len(rows)
    )


# --------------------------------------------------------------------------- the test


def test_a_tab_moves_to_the_other_instance_and_the_jobs_run_once(
    base_url,  # the run's app: its frontend build is the one the proxy serves
    browser,
    db,  # noqa: F811
    jobs_db,  # noqa: F811
    tmp_path,
):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    assert (FRONTEND / "404.html").exists(), "the run's app has no built frontend"
    redis.Redis.from_url(REDIS_URL).flushdb()
    factory = Factory(db)
    login = "two.instances@example.ru"
    actor = factory.subscriber(login, password=PASSWORD, full_name="Анна Двухсерверова")
    own = factory.sim(actor, tariff=factory.tariff(fee_kop=5_000), balance_kop=10_000)
    sims = [own.id, *_due_sims(db, factory, 4)]  # the tab's SIM is due too
    _queue_mails(db, MAILS)

    catcher = MailCatcher("127.0.0.1", free_port())
    smtp = Controller(catcher, hostname=catcher.host, port=catcher.port, ready_timeout=10)
    smtp.start()
    env = {
        "REDIS_URL": REDIS_URL,
        "PAYSIM_PUBLIC_URL": PUBLIC,  # the websocket's accepted Origin: the proxy's address
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(catcher.port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "PaySim <noreply@mail.paysim.test>",
        "PAYSIM_DELIVERY_SECONDS": "1",
    }
    servers: list[Server] = []
    nginx = None
    context = None
    started = time.monotonic()
    try:
        for name in ("instance-a", "instance-b"):
            servers.append(_start(jobs_db, tmp_path, name, **env))
            # `reflex run` first empties .states/ in the working directory: one at a time
            _wait(
                "the reflex CLI", lambda: "Starting Reflex App" in servers[-1].output(), 60, servers
            )
        main = _nginx_conf(tmp_path, servers)
        nginx = subprocess.Popen(
            [NGINX, "-c", str(main), "-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for server in servers:
            _wait("/ping", lambda s=server: _answers_ping(s), STARTUP_TIMEOUT, servers)
        _wait("the proxy", lambda: _proxy_up(nginx, tmp_path), 20, servers)
        assert _through_proxy("/login"), "the proxy serves the built sign-in page"
        print(f"two instances and the proxy up in {time.monotonic() - started:.1f} s")

        # --- a tab signs in through the proxy
        context = browser.new_context(base_url=PUBLIC, ignore_https_errors=True)
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 860})
        page.goto("/login")
        page.locator("#login").fill(login)
        page.locator("#password").fill(PASSWORD)
        page.locator("#sign-in").click()
        expect(page).to_have_url(re.compile(r"/cabinet$"))
        expect(page.get_by_role("heading", name="Мои сим-карты", level=1)).to_be_visible()
        expect(page.get_by_text("Анна Двухсерверова").first).to_be_visible()
        serving = _wait("the instance holding the tab", lambda: _holding_the_tab(servers), 20)
        other = next(s for s in servers if s is not serving)

        # --- meanwhile: one scheduler across both, billing and the outbox sender once
        _wait("the billing", lambda: _fees(db).keys() == set(sims), 60, servers)
        _wait("the outbox sent", lambda: _all_sent(db, catcher), 60, servers)
        _wait(
            "three billing cycles",
            lambda: sum(len(s.lines("billing done")) for s in servers) >= 3,
            60,
            servers,
        )
        holder, _ = _lease(db)
        took = [pid for s in servers for pid, _ in s.lines("took the scheduler lease")]
        assert took == [holder], f"one lease holder across both instances: {took}"
        assert {p for s in servers for p, _ in s.lines("billing done")} == {holder}
        assert {p for s in servers for p, _ in s.lines("delivery:")} == {holder}
        assert _fees(db) == dict.fromkeys(sims, 1)
        _assert_ledger_matches(db, sims)
        rows = _outbox(db)
        assert len(rows) >= MAILS and all(r.attempts == 1 for r in rows)
        received = [m.message["Message-ID"] for m in catcher.received]
        assert sorted(received) == sorted(r.message_id for r in rows)  # each mail once

        # --- the instance holding the tab stops; the proxy sends the tab to the other
        stopping = time.monotonic()
        serving.stop()
        stopped = time.monotonic()
        expect(page.get_by_role("heading", name="Мои сим-карты", level=1)).to_be_visible()
        page.locator("select[aria-label='Язык']").select_option("en")
        expect(page.get_by_role("heading", name="My SIM cards", level=1)).to_be_visible()
        print(
            f"instance stopped in {stopped - stopping:.1f} s; the tab's next event answered by"
            f" the other {time.monotonic() - stopped:.1f} s after"
        )
        expect(page).to_have_url(re.compile(r"/cabinet$"))  # still signed in
        expect(page.get_by_text("Анна Двухсерверова").first).to_be_visible()
        assert _sockets_to(other.port) >= 1, "the tab's socket is on the other instance"
        shot(page, "two-instances-after-failover-1280")
        page.set_viewport_size({"width": 390, "height": 860})
        expect(page.get_by_role("heading", name="My SIM cards", level=1)).to_be_visible()
        shot(page, "two-instances-after-failover-390")

        # the jobs went on in one place: still one fee per SIM
        assert _fees(db) == dict.fromkeys(sims, 1)
        assert db.execute(select(func.count()).select_from(OutboxEmail)).scalar_one() == len(rows)
    finally:
        if context is not None:
            context.close()
        if nginx is not None:
            nginx.terminate()
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for server in servers:
            server.kill()
        smtp.stop()
