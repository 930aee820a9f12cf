"""`python -m paysim_app ...` against a tmp_path SQLite database.

The commands run in this process (`cli.main` with its own environment, stdin, stdout and stderr:
`run_cli`) except where the process itself is what is tested (`run_process`: the entry point's
exit codes, `migrate` and `seed-demo` building the shared database, and getpass reading a
password from stdin when there is no terminal). A command's process costs about a core-second
of imports, ~35 of them this file's whole time (bench/README.md, "The test suite's time").

Self-contained: no fixtures from tests/conftest.py. The commands get a clean environment
(DATABASE_URL, PAYSIM_DEMO=1, PAYSIM_BCRYPT_ROUNDS=4).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from paysim_app import cli
from paysim_app import db as app_db
from paysim_app.accounts import identity
from paysim_app.core import rate_limits
from paysim_app.db import make_engine
from paysim_app.demo import DEMO_LOGINS, DEMO_PASSWORD, count_rows
from paysim_app.models import AdminRole, Payment, User
from paysim_app.overview import dashboards
from paysim_app.payments import get_gateway
from paysim_app.settings import ROOT, get_settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STRONG = "Ops-pass-2026"


def _env(db_path: Path, **extra: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAYSIM_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        PAYSIM_DEMO="1",
        PAYSIM_BCRYPT_ROUNDS="4",
        PAYSIM_SCHEDULER="0",
        PYTHONIOENCODING="utf-8",
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(db_path: Path, *args: str, input: str | None = None, **env: str | None) -> Result:
    """The command in this process, as `python -m paysim_app` would run it: the environment
    of `_env` (settings and engine caches cleared before and after), stdin from `input`, its
    output captured, argparse's exits as exit codes. It stays at the caller's CPU priority
    (`background_process` is the jobs' own test's business)."""
    out, err = io.StringIO(), io.StringIO()
    wanted = _env(db_path, **env)
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name not in wanted:
                mp.delenv(name)
        for name, value in wanted.items():
            mp.setenv(name, value)
        mp.setattr(sys, "stdin", io.StringIO(input or ""))
        mp.setattr(cli, "background_process", lambda: None)
        get_settings.cache_clear()
        app_db.get_engine.cache_clear()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            if app_db.get_engine.cache_info().currsize:
                app_db.get_engine().dispose()
            for cached in (app_db.get_engine, get_gateway, get_settings):
                cached.cache_clear()
            rate_limits.reset_caches()
    return Result(code, out.getvalue(), err.getvalue())


def run_process(
    db_path: Path, *args: str, input: str | None = None, **env: str | None
) -> subprocess.CompletedProcess:
    """The command as its own process, with no controlling terminal (getpass reads stdin)."""
    return subprocess.run(
        [sys.executable, "-m", "paysim_app", *args],
        check=False,
        cwd=ROOT,
        env=_env(db_path, **env),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # no /dev/tty: getpass falls back to stdin
    )


def _one_line_error(result: Result | subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture(scope="module")
def settings_env(tmp_path_factory) -> Iterator[None]:
    """In-process checks (sign_in) use fast bcrypt; caches cleared before and after."""
    scratch = tmp_path_factory.mktemp("cli-env")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAYSIM_BCRYPT_ROUNDS", "4")
        mp.setenv("DATABASE_URL", f"sqlite:///{scratch / 'unused.db'}")
        get_settings.cache_clear()
        app_db.get_engine.cache_clear()
        yield
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()


@pytest.fixture(scope="module")
def seeded_db(settings_env, tmp_path_factory) -> Iterator[tuple[Path, Engine]]:
    """`migrate` then `seed-demo` on one database, shared by the tests that read it."""
    path = tmp_path_factory.mktemp("cli") / "x.db"
    migrated = run_process(path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "(head)" in migrated.stdout
    seeded = run_process(path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded demo data" in seeded.stdout
    assert "sims" in seeded.stdout and "300" in seeded.stdout
    engine = make_engine(f"sqlite:///{path}")
    yield path, engine
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return count_rows(s)


def test_migrate_and_seed_demo(seeded_db):
    _, engine = seeded_db
    counts = _counts(engine)
    assert counts["sims"] == 300 and counts["tariffs"] == 4 and counts["partners"] == 2
    assert counts["payments"] > 500


def test_migrate_twice_is_harmless(seeded_db):
    path, engine = seeded_db
    before = _counts(engine)
    result = run_cli(path, "migrate")
    assert result.returncode == 0, result.stderr
    assert _counts(engine) == before


def test_seed_demo_if_empty_changes_nothing(seeded_db):
    path, engine = seeded_db
    before = _counts(engine)
    result = run_cli(path, "seed-demo", "--if-empty")
    assert result.returncode == 0, result.stderr
    assert "did nothing" in result.stdout
    assert _counts(engine) == before


def test_seed_demo_again_is_refused(seeded_db):
    path, engine = seeded_db
    before = _counts(engine)
    result = run_cli(path, "seed-demo")
    assert result.returncode == 1
    assert "empty database" in _one_line_error(result)
    assert _counts(engine) == before


def test_seed_has_payments_today_by_the_default_clock(seeded_db):
    _, engine = seeded_db
    start, end = dashboards.moscow_day_bounds()
    with Session(engine) as s:
        n = s.exec(
            select(func.count())
            .select_from(Payment)
            .where(
                Payment.status == "succeeded", Payment.created_at >= start, Payment.created_at < end
            )
        ).one()
    assert n > 0


def test_demo_logins(seeded_db):
    path, engine = seeded_db
    result = run_cli(path, "demo-logins")
    assert result.returncode == 0, result.stderr
    assert "http://localhost:3000" in result.stdout
    for login in (
        "demo@paysim.demo",
        "partner@paysim.demo",
        "admin@paysim.demo",
        "support@paysim.demo",
    ):
        line = next(line for line in result.stdout.splitlines() if login in line)
        assert DEMO_PASSWORD in line
    assert len(DEMO_LOGINS) == 4
    # and the printed logins really sign in
    with Session(engine, expire_on_commit=False) as s:
        for d in DEMO_LOGINS:
            token, _ = identity.sign_in(s, d.login, DEMO_PASSWORD)
            assert token, d.login
        s.rollback()


def test_demo_commands_refused_without_demo_mode(seeded_db, tmp_path):
    path, _ = seeded_db
    logins = run_cli(path, "demo-logins", PAYSIM_DEMO=None)
    assert logins.returncode == 2
    assert "PAYSIM_DEMO" in _one_line_error(logins)
    assert DEMO_PASSWORD not in logins.stdout

    fresh = tmp_path / "fresh.db"
    assert run_cli(fresh, "migrate").returncode == 0
    for flag in (None, "0"):
        result = run_cli(fresh, "seed-demo", PAYSIM_DEMO=flag)
        assert result.returncode == 2
        assert "PAYSIM_DEMO" in _one_line_error(result)
    engine = make_engine(f"sqlite:///{fresh}")
    try:
        assert _counts(engine)["users"] == 0 and _counts(engine)["sims"] == 0
    finally:
        engine.dispose()


def test_seed_demo_on_an_unmigrated_database(tmp_path):
    result = run_cli(tmp_path / "empty.db", "seed-demo")
    assert result.returncode == 1
    assert "migrate" in _one_line_error(result)


def test_create_admin_from_environment_password(seeded_db):
    path, engine = seeded_db
    result = run_cli(
        path, "create-admin", "Ops@Example.com", "--name", "Ops Team", PAYSIM_ADMIN_PASSWORD=STRONG
    )
    assert result.returncode == 0, result.stderr
    assert "ops@example.com" in result.stdout
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.email == "ops@example.com")).one()
        assert f"id {user.id}" in result.stdout
        assert user.role == "admin" and user.full_name == "Ops Team"
        assert s.get(AdminRole, user.admin_role_id).name == "Superadmin"
        _, actor = identity.sign_in(s, "ops@example.com", STRONG)
        s.rollback()
    assert actor.is_admin and actor.can("admins.manage")


def test_create_admin_with_a_role_and_password_from_stdin(seeded_db):
    path, engine = seeded_db
    result = run_process(
        path,
        "create-admin",
        "helpdesk@example.com",
        "--role",
        "Support operator",
        input=f"{STRONG}\n{STRONG}\n",
    )
    assert result.returncode == 0, result.stderr
    with Session(engine, expire_on_commit=False) as s:
        _, actor = identity.sign_in(s, "helpdesk@example.com", STRONG)
        s.rollback()
    assert actor.can("support.view") and not actor.can("sims.view")


@pytest.mark.parametrize(
    ("args", "env", "stdin", "expected"),
    [
        (["weak@example.com"], {"PAYSIM_ADMIN_PASSWORD": "abc"}, None, "at least 8"),
        (["weak@example.com"], {"PAYSIM_ADMIN_PASSWORD": "12345678"}, None, "too simple"),
        (["admin@paysim.demo"], {"PAYSIM_ADMIN_PASSWORD": STRONG}, None, "already registered"),
        (
            ["x@example.com", "--role", "Nobody"],
            {"PAYSIM_ADMIN_PASSWORD": STRONG},
            None,
            "Unknown role",
        ),
        (["not-an-email"], {"PAYSIM_ADMIN_PASSWORD": STRONG}, None, "not a valid e-mail"),
        (["mismatch@example.com"], {}, f"{STRONG}\nOther-pass-1\n", "do not match"),
        (["eof@example.com"], {}, "", "cancelled"),
    ],
)
def test_create_admin_refusals(seeded_db, args, env, stdin, expected):
    path, engine = seeded_db
    before = _counts(engine)
    run = run_cli if stdin is None else run_process  # a password typed: getpass, no terminal
    result = run(path, "create-admin", *args, input=stdin, **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in _one_line_error(result)
    assert _counts(engine) == before


def test_usage_errors_exit_non_zero(tmp_path):
    nothing = run_process(tmp_path / "u.db")  # the entry point's own exit status
    assert nothing.returncode == 2 and "COMMAND" in nothing.stderr
    bogus = run_cli(tmp_path / "u.db", "bogus")
    assert bogus.returncode == 2 and "invalid choice" in bogus.stderr
    missing = run_cli(tmp_path / "u.db", "create-admin")
    assert missing.returncode == 2 and "email" in missing.stderr


def test_run_billing_charges_once_and_reports(seeded_db):
    path, engine = seeded_db
    first = run_cli(path, "run-billing", "--date", "2026-11-28")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Billed ")
    with engine.connect() as conn:
        fees = conn.exec_driver_sql(
            "SELECT count(*) FROM ledger_entry WHERE fee_period = '2026-11'"
        ).scalar()
    again = run_cli(path, "run-billing", "--date", "2026-11-28")
    assert again.returncode == 0, again.stderr
    assert " 0 fees " in again.stdout
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM ledger_entry WHERE fee_period = '2026-11'"
            ).scalar()
            == fees
        )


def test_run_billing_refuses_a_bad_date(seeded_db):
    path, _ = seeded_db
    bad = run_cli(path, "run-billing", "--date", "2026-02-30")
    assert bad.returncode == 1
    assert "not a date" in bad.stderr


# --------------------------------------------------------------------------- import-sims


def _sim_csv(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _import_rows(first: int, count: int) -> list[str]:
    from tests.conftest import make_iccid, make_imsi, make_msisdn

    return [
        f"{make_iccid(n)};8 ({make_msisdn(n)[2:5]}) {make_msisdn(n)[5:]};{make_imsi(n)};;;;"
        for n in range(first, first + count)
    ]


HEADER_SC = "iccid;msisdn;imsi;status;partner_code;tariff_code;action"


def _sims(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM sim").scalar()


def test_import_sims_dry_run_then_import_then_again(seeded_db, tmp_path):
    path, engine = seeded_db
    # Russian Excel: `;`, cp1251, and a column of our own (ignored) with Cyrillic words
    lines = [HEADER_SC + ";комментарий", *[r + ";склад №1" for r in _import_rows(880_001, 3)]]
    csv_file = _sim_csv(tmp_path, "sims.csv", lines, "cp1251")
    before = _sims(engine)
    dry = run_cli(path, "import-sims", str(csv_file), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "create     3" in dry.stdout and "Dry run: nothing was changed." in dry.stdout
    assert "cp1251" in dry.stdout and _sims(engine) == before
    done = run_cli(path, "import-sims", str(csv_file))
    assert done.returncode == 0, done.stderr
    assert "Imported: 3 created, 0 updated, 0 deleted, 0 unchanged." in done.stdout
    assert _sims(engine) == before + 3
    again = run_cli(path, "import-sims", str(csv_file))
    assert again.returncode == 0 and "0 created, 0 updated, 0 deleted, 3 unchanged" in again.stdout
    with engine.connect() as conn:
        audits = conn.exec_driver_sql(
            "SELECT actor_user_id, after FROM audit_log WHERE action = 'sim.import'"
        ).all()
    assert len(audits) == 2 and audits[0][0] is None and '"file": "sims.csv"' in audits[0][1]


def test_import_sims_with_rejects_exits_1_and_imports_nothing(seeded_db, tmp_path):
    path, engine = seeded_db
    rows = _import_rows(880_101, 3)
    rows[1] = rows[1].replace(";;;;", ";;NO-SUCH-PARTNER;;")
    csv_file = _sim_csv(tmp_path, "bad.csv", [HEADER_SC, *rows])
    out = tmp_path / "rejects.csv"
    before = _sims(engine)
    result = run_cli(path, "import-sims", str(csv_file), "--rejects", str(out))
    assert result.returncode == 1
    assert "line 3: partner_unknown: no partner has this code" in result.stdout
    assert "Nothing was imported: 1 rows were rejected." in result.stdout
    assert _sims(engine) == before
    assert "reason" in out.read_text(encoding="utf-8").splitlines()[0]


def test_import_sims_refuses_unreadable_files_and_unknown_admins(seeded_db, tmp_path):
    path, _ = seeded_db
    empty = _sim_csv(tmp_path, "empty.csv", [""])
    result = run_cli(path, "import-sims", str(empty))
    assert result.returncode == 1 and "Refused: The file is empty" in result.stdout
    missing = run_cli(path, "import-sims", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "no such file" in _one_line_error(missing)
    good = _sim_csv(tmp_path, "ok.csv", [HEADER_SC, *_import_rows(880_201, 1)])
    stranger = run_cli(path, "import-sims", str(good), "--admin", "nobody@example.ru")
    assert stranger.returncode == 1 and "not an active admin" in _one_line_error(stranger)
    support = next(d.login for d in DEMO_LOGINS if d.role == "support")
    refused = run_cli(path, "import-sims", str(good), "--dry-run", "--admin", support)
    assert refused.returncode == 1 and "import-sims: " in _one_line_error(refused)
    boss = next(d.login for d in DEMO_LOGINS if d.role == "admin")
    allowed = run_cli(path, "import-sims", str(good), "--dry-run", "--admin", boss)
    assert allowed.returncode == 0 and "create     1" in allowed.stdout
