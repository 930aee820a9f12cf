"""One production build of the real app, shared by every browser test of the run.

The app runs on a free port with its own SQLite database seeded with the demo data; Chromium
is Debian's (/usr/bin/chromium), driven by Playwright. Review screenshots go to
artifacts/screenshots/ (unless PAYSIM_SHOTS=0, as `make test` runs), a failing test's pages to
artifacts/failures/.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from paysim_app.accounts import hash_password, identity
from paysim_app.billing import ledger, payments
from paysim_app.billing.ledger import Posting
from paysim_app.core.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT
from paysim_app.db import make_engine
from paysim_app.models import Sim, Tariff, User
from paysim_app.models.base import utcnow
from paysim_app.payments import ChargeResult
from tests.conftest import app_checkout_lock

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
FAILURES = ROOT / "artifacts" / "failures"
# The screenshots at 390 and 1280 px are for a person to look at. `make test` turns them off
# (tests/suite.py): nobody looks at a CI run's, and a full-page one costs about 0.25 core-s of
# Chromium, as much as half a page load (bench/README.md, "The test suite's time"). A failing
# test's pages are shot either way. Checks that go with them (no sideways scrolling) still run.
REVIEW_SHOTS = os.environ.get("PAYSIM_SHOTS", "1") != "0"
CHROMIUM = os.environ.get("PAYSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # more flags for a comparison of their cost (bench/README.md, "The test suite's time")
    *os.environ.get("PAYSIM_CHROMIUM_ARGS_EXTRA", "").split(),
]
PASSWORD = "demo12345"
WIDTHS = {"phone": 390, "desktop": 1280}
SHARED_APP = "PAYSIM_E2E_APP"  # see _shared_app
_APP: dict = {}  # the running app's database and address, for enter()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(1)  # polling a server that is still building, not waiting in a test
    raise RuntimeError(f"the app did not answer {url} in {timeout}s:\n{log.read_text()[-3000:]}")


def prepare_app(work: Path) -> dict:
    """A demo database in `work` and the environment the app runs with on a free port."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'e2e.db'}",
        "PAYSIM_DEMO": "1",
        "PAYSIM_BCRYPT_ROUNDS": "4",
        "PAYSIM_PUBLIC_URL": f"http://localhost:{port}",
        "PAYSIM_SCHEDULER": "0",
        "PAYSIM_ATTACHMENTS_DIR": str(work / "attachments"),
        "REFLEX_STATES_WORKDIR": str(work / "states"),
        # one backend process (no REDIS_URL below), its tabs' states in its memory: `make run`'s
        # disk manager pickles and writes them and stats every state file at least each 2 s
        # (the app's CPU over both browser runs 111 core-s with it, 43 without: bench/README.md,
        # "The test suite's time"); pickling is checked by tests/ui/test_state_shape.py
        "REFLEX_STATE_MANAGER_MODE": "memory",
        # every browser comes from 127.0.0.1: the per-address limits are raised for the suite
        # (reset.login keeps its default; test_profile shows its refusal in the browser)
        "PAYSIM_RATE_LIMITS": "register.ip=1000/hour;sign_in.ip=1000/hour;reset.ip=1000/hour;"
        "sim_claim.ip=1000/hour;card.ip=1000/hour;card.subscriber=1000/hour;"
        "speedtest.ip=1000/hour",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("REDIS_URL", None)  # Redis would mean several workers, each with its own memory
    with (work / "seed.log").open("w") as out:  # the demo logins it prints, or its error
        for cmd in (["migrate"], ["seed-demo"]):
            subprocess.run(
                [sys.executable, "-m", "paysim_app", *cmd],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
            )
    return {"env": env, "port": port, "work": work, "db": work / "e2e.db"}


def _shared_app() -> dict | None:
    """The app tests/suite.py (`make test`) started for this run, if it did (SHARED_APP names
    its description)."""
    path = os.environ.get(SHARED_APP)
    if not path:
        return None
    app = json.loads(Path(path).read_text())
    return {**app, "work": Path(app["work"]), "db": Path(app["db"])}


@pytest.fixture(scope="session")
def app_env(tmp_path_factory) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the .ci/run script does)")
    return _shared_app() or prepare_app(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="session")
def base_url(app_env) -> Iterator[str]:
    _APP.update(db=app_env["db"], url=f"http://localhost:{app_env['port']}")
    if _shared_app():
        yield f"http://localhost:{app_env['port']}"
        return
    log = app_env["work"] / "app.log"
    with app_checkout_lock():
        yield from run_app(app_env, log)


def run_app(app_env: dict, log: Path) -> Iterator[str]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--loglevel", "info"],
            cwd=ROOT,
            env=app_env["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
            # a process group of its own (stopped as one with killpg), in the test run's
            # session: the scheduler shares the cores between sessions (tests/suite.py)
            process_group=0,
        )
    url = f"http://localhost:{app_env['port']}"
    try:
        _wait_for(f"{url}/ping", proc, log)
        _wait_for(f"{url}/login", proc, log)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def _idle_pages(browser) -> Iterator[list]:
    """Tabs handed from test to test, each in a context of its own. A tab keeps its renderer,
    which keeps the app's scripts compiled: opening a page of the app costs about a third of the
    CPU it costs in a new tab (0.8 against 2.4 core-s), the main cost of the browser suite.
    new_page empties each one before it is used again."""
    idle: list = []
    yield idle
    for page in idle:
        page.context.close()


def _forget(page, base_url: str) -> bool:
    """Empty a used tab of what a new context would not have (cookies, the app's storage);
    False when it cannot be handed on (closed, or the test opened more tabs beside it)."""
    if page.is_closed() or len(page.context.pages) != 1:
        return False
    page.goto(f"{base_url}/ping")  # the app's origin, without the app
    page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    page.context.clear_cookies()
    return True


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


def _shoot_failure(request, pages: list) -> None:
    """A failing test's tabs as they were, to artifacts/failures/, named in the test's report."""
    FAILURES.mkdir(parents=True, exist_ok=True)
    test = request.node.nodeid.rpartition("::")[2].replace("/", "-")[:120]
    tabs = [tab for page in pages if not page.is_closed() for tab in page.context.pages]
    for n, tab in enumerate(dict.fromkeys(tabs), 1):
        path = FAILURES / f"{test}-{n}.png"
        try:
            tab.screenshot(path=str(path), full_page=True, timeout=10_000)
        except Exception as exc:  # a tab that cannot be shot still has its address reported
            path = f"no screenshot ({type(exc).__name__})"
        print(f"failing test's tab {n}: {tab.url} -> {path}", file=sys.stderr)


@pytest.fixture
def new_page(browser, base_url, _idle_pages, request):
    """new_page(width) -> a tab at that width in a context of its own, with no cookies and
    empty storage: a new one, or one an earlier test used and new_page emptied. When the test
    fails, its tabs are shot before they are emptied."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    taken = []

    def _open(width: int = WIDTHS["desktop"]):
        page = _idle_pages.pop() if _idle_pages else None
        if page is None:
            page = browser.new_context(base_url=base_url).new_page()
        page.set_viewport_size({"width": width, "height": 860})
        taken.append(page)
        return page

    yield _open
    if request.node.stash.get(_FAILED, False):
        _shoot_failure(request, taken)
    for page in taken:
        try:
            reusable = _forget(page, base_url)
        except Exception:  # a tab the test broke is not handed on
            reusable = False
        if reusable:
            _idle_pages.append(page)
        else:
            page.context.close()


def shot(target, name: str, *, full_page: bool = True) -> None:
    """artifacts/screenshots/`name`.png: a page (its whole length unless full_page=False) or
    one element (a locator)."""
    if not REVIEW_SHOTS:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SHOTS / f"{name}.png")
    if hasattr(target, "goto"):
        target.screenshot(path=path, full_page=full_page)
    else:
        target.screenshot(path=path)


def at_width(page, width: int) -> None:
    """The same page at another width: CSS media queries apply at once, resize observers (the
    charts) by the next frames."""
    page.set_viewport_size({"width": width, "height": 860})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def shots(page, name: str) -> None:
    """`name`-390 and `name`-1280: the page as it is at its width, then resized to the other
    width and back (cheaper than running a journey again at the other width). At 390 px the
    page must not scroll sideways. Without review screenshots only that check is left, so the
    other width is not visited unless it is 390 px."""
    phone, desktop = WIDTHS["phone"], WIDTHS["desktop"]
    width = page.viewport_size["width"]
    widths = [width, desktop if width == phone else phone] if REVIEW_SHOTS else [phone]
    for w in widths:
        if w != width:
            at_width(page, w)
        if w == phone:
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= phone, f"{name} is {overflow} px wide at {phone} px"
        shot(page, f"{name}-{w}")
    if widths[-1] != width:
        at_width(page, width)


def ready(page) -> None:
    """Wait until the page's on_load has run. Its controls sit in one <fieldset> that stays
    disabled until then (ui/components/forms.ready_fieldset), so typing into a field already
    waits by itself; this is for clicks on things a fieldset does not disable (links, rows)."""
    from playwright.sync_api import expect

    expect(page.locator("fieldset.page-ready:not([disabled])")).to_be_attached()


# history.pushState + popstate is how React Router's own links move: the route changes in the
# same document, and Reflex runs the new page's on_load (its fieldset is disabled meanwhile)
_VISIT = """async (path) => {
    const busy = () => {
        const fieldset = document.querySelector("fieldset.page-ready");
        return !fieldset || fieldset.disabled;
    };
    let seenBusy = false;
    await new Promise((resolve, reject) => {
        const check = () => {
            if (busy()) seenBusy = true;
            else if (seenBusy) { clearTimeout(timer); observer.disconnect(); resolve(); }
        };
        const observer = new MutationObserver(check);
        const timer = setTimeout(() => {
            observer.disconnect();
            reject(new Error(`${path} did not become ready`));
        }, 20000);
        observer.observe(document, {
            subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"],
        });
        history.pushState(null, "", path);
        dispatchEvent(new PopStateEvent("popstate", {state: null}));
        check();
    });
}"""


def visit(page, path: str) -> None:
    """Open another page of the app the way a link inside it does: in the same document (no
    new load of the app's scripts and styles, about a third of the CPU of page.goto), then wait
    until its on_load has run. For a tab already on a page of the app, other than `path`; what
    a test says about a fresh load (a deep link, a refresh) needs page.goto."""
    page.evaluate(_VISIT, path)


def refill(field, value: str) -> None:
    """Type into a field that a refused submit clears (rx.set_value(id, "") comes after the
    error's state delta, as an event of its own): typing before that event ran would be wiped,
    and the next submit would send an empty field. Wait for the clearing first."""
    from playwright.sync_api import expect

    expect(field).to_have_value("")
    field.fill(value)


def choose_file(page, upload_id: str, path) -> None:
    """Choose a file in a picker that uploads it at once (ui/components/attach.file_picker)
    and wait until that upload's request has ended: its answer shows on the page before the
    request ends, and a file chosen meanwhile would abort it (test_support has that case)."""
    with page.expect_response(lambda r: "/_upload" in r.url) as sent:
        page.locator(f"#{upload_id} input[type=file]").set_input_files(str(path))
    sent.value.finished()


def sign_in(page, login: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.locator("#login").fill(login)  # waits until the form is enabled (hydrated)
    page.locator("#password").fill(password)
    page.locator("#sign-in").click()


def enter(page, login: str, path: str | None = None) -> None:
    """Sign `login` in without the sign-in page, then open `path` (None: open nothing, the
    test's next page.goto does). The session is opened by the domain verb the sign-in form
    calls (identity.sign_in) in the app's database; its token and the user's language go where
    the form's handler puts them (the app's localStorage). A test of what comes after signing
    in saves the sign-in page's load and the home page's, about a core-second each; the form
    itself is tested through the browser by test_journeys and test_profile."""
    engine = make_engine(f"sqlite:///{_APP['db']}")
    with Session(engine) as session:
        token, actor = identity.sign_in(session, login, PASSWORD)
        session.commit()
    engine.dispose()
    if not page.url.startswith(_APP["url"]):
        page.goto("/ping")  # the app's origin, whose storage the app reads
    page.evaluate(
        "([token, locale]) => { localStorage.setItem('paysim_session', token);"
        " localStorage.setItem('paysim_locale', locale); }",
        [token, actor.locale],
    )
    if path is not None:
        page.goto(path)


# --------------------------------------------------------------------------- a fresh customer


# numbers for the logins, SIMs and subjects the tests make, unique in the run
_serial = itertools.count(1)


def unique_number() -> int:
    """A number no other test driving this app has had. The browser runs of `make test` share
    one app (tests/suite.py), so they count in one file beside its description, under a lock."""
    shared = os.environ.get(SHARED_APP)
    if not shared:
        return next(_serial)
    fd = os.open(Path(shared).with_name("serial"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        number = int(os.read(fd, 32) or b"0") + 1
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(number).encode())
    finally:
        os.close(fd)  # closing releases the lock
    return number


def staff_login(app_env: dict, kind: str) -> str:
    """A fresh account of the demo data's kind ('admin': a superadmin, 'support': a support
    operator, 'partner': a user of the demo dealer), for a test that changes what the account
    shares with other tests (its language, its other sessions). Returns its login."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    login = f"{kind}{unique_number()}-{app_env['port']}@paysim.demo"
    with Session(engine, expire_on_commit=False) as session:
        if kind == "partner":
            dealer = session.exec(select(User).where(User.email == "partner@paysim.demo")).one()
            user = identity.add_user_without_password(
                session, "partner", "Пётр Дилеров", email=login, partner_id=dealer.partner_id
            )
            user.password_hash = hash_password(PASSWORD)
        else:
            role = {"admin": ROLE_SUPERADMIN, "support": ROLE_SUPPORT}[kind]
            identity.create_admin(session, login, PASSWORD, role, full_name="Ольга Сменная")
        session.commit()
    engine.dispose()
    return login


@pytest.fixture
def customer(app_env):
    """A fresh subscriber with two active SIMs (balances 100 ₽ and 0 ₽) on a demo tariff."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"money{n}-{app_env['port']}@example.ru"
    with Session(engine, expire_on_commit=False) as session:
        actor = identity.register_subscriber(
            session, login, PASSWORD, consent=True, full_name="Мария Деньгова"
        )
        tariff = session.exec(select(Tariff).where(Tariff.is_archived == False)).first()  # noqa: E712
        sims = []
        for i, balance in enumerate((10000, 0)):
            serial = 9_900_000 + n * 10 + i
            sim = Sim(
                iccid=_iccid(serial),
                msisdn=f"+7999{serial:07d}",
                imsi=f"25099{serial:010d}",
                status="active",
                subscriber_id=actor.subscriber_id,
                tariff_id=tariff.id,
                billing_day=28,
                activated_at=utcnow(),
                label="Дача" if i == 0 else "",
                puk=f"{serial % 10**8:08d}",
            )
            session.add(sim)
            session.flush()
            if balance:
                ledger.post(session, Posting(sim.id, "adjustment", balance, comment="e2e setup"))
            sims.append(sim.id)
        session.commit()
    engine.dispose()
    return {"login": login, "sims": sims, "fee_kop": tariff.monthly_fee_kop}


def paid_by_card(app_env: dict, sim_id: int, amount_kop: int) -> int:
    """A card payment (Visa •••• 4242) of the SIM on the sandbox, settled succeeded as the
    gateway's answer settles it (its receipt and e-mail included); returns its id."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    key = f"e2e-card-{app_env['port']}-{sim_id}-{unique_number()}"
    with Session(engine, expire_on_commit=False) as session:
        payment = payments.new_payment(
            session,
            sim=session.get(Sim, sim_id),
            amount_kop=amount_kop,
            method="card",
            idempotency_key=key,
            gateway="sandbox",
            card_brand="visa",
            card_last4="4242",
        )
        pid = payment.id
        session.commit()
        payments.settle(session, [(pid, ChargeResult("succeeded", f"pi_sb_{key}", None))])
        session.commit()
    engine.dispose()
    return pid


def _iccid(serial: int) -> str:
    from stdnum import luhn

    body = f"897010{serial:012d}"
    return body + luhn.calc_check_digit(body)
