"""`python -m paysim_app <command>`: migrate, seed-demo, demo-logins, create-admin, run-billing,
import-sims, import-usage.

Each command prints what it did; bad input ends with one clear line on stderr and a non-zero
exit code (1: the input or the database refused it, 2: the command is not allowed here).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from paysim_app.jobs.priority import background_process
from paysim_app.settings import ROOT, get_settings

ADMIN_PASSWORD_ENV = "PAYSIM_ADMIN_PASSWORD"


class CommandError(Exception):
    """A refusal to print as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return "<unparsable DATABASE_URL>"


def _domain_message(exc: Exception) -> str:
    """The English text of a core.errors.DomainError."""
    code = getattr(exc, "code", "") or str(exc)
    params = getattr(exc, "params", {}) or {}
    try:
        from paysim_app.i18n import t
    except ImportError:  # the catalogues are optional for the CLI
        return code
    return t(code, "en", **params)


def _explain_missing_tables(command: str, exc: Exception) -> None:
    """Turn 'no such table' into a one-line hint; re-raise any other database error."""
    if _not_migrated(exc):
        raise CommandError(
            f"{command}: the database has no tables yet; run `python -m paysim_app migrate` first"
        )
    raise exc


def _not_migrated(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _require_demo(command: str) -> None:
    if not get_settings().paysim_demo:
        raise CommandError(
            f"{command}: refused because PAYSIM_DEMO is off — the demo accounts have a public "
            "password; set PAYSIM_DEMO=1 for a demo installation",
            code=2,
        )


# --------------------------------------------------------------------------- commands


def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    url = get_settings().database_url
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise CommandError(f"migrate: cannot reach the database {_safe_url(url)}: {exc.orig}")
    print(f"Database {_safe_url(url)} is at revision {head} (head).")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from paysim_app import demo
    from paysim_app.db import session_scope

    _require_demo("seed-demo")
    url = _safe_url(get_settings().database_url)
    try:
        with session_scope() as session:
            if args.if_empty and demo.database_has_users(session):
                users = demo.count_rows(session)["users"]
                print(
                    f"Database {url} already has {users} users; seed-demo --if-empty did nothing."
                )
                return 0
            started = time.perf_counter()
            counts = demo.seed_demo(session)
    except demo.DemoSeedError as exc:
        raise CommandError(f"seed-demo: {exc} (use --if-empty to skip a filled database)")
    except (OperationalError, ProgrammingError) as exc:
        _explain_missing_tables("seed-demo", exc)
    elapsed = time.perf_counter() - started
    print(f"Seeded demo data into {url} in {elapsed:.1f} s:")
    width = max(len(k) for k in counts)
    for key, value in counts.items():
        print(f"  {key.ljust(width)}  {value}")
    print()
    _print_logins()
    return 0


def _print_logins() -> None:
    from paysim_app.demo import DEMO_LOGINS, DEMO_PASSWORD

    rows = [("role", "login", "password", "note")]
    rows += [(d.role, d.login, DEMO_PASSWORD, d.note) for d in DEMO_LOGINS]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"PaySim demo: {get_settings().paysim_public_url}")
    for i, row in enumerate(rows):
        print(
            "  "
            + "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
            + f"  {row[3]}"
        )
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))
    print("Every other demo account (…@paysim.demo) has the same password.")


def cmd_demo_logins(args: argparse.Namespace) -> int:
    _require_demo("demo-logins")
    _print_logins()
    return 0


def _read_password() -> str:
    from_env = os.environ.get(ADMIN_PASSWORD_ENV)
    if from_env is not None:
        return from_env
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Repeat the password: ")
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stderr)  # end the prompt's line
        raise CommandError("create-admin: cancelled, no password given") from None
    if first != second:
        raise CommandError("create-admin: the passwords do not match")
    return first


def cmd_create_admin(args: argparse.Namespace) -> int:
    from paysim_app.accounts.identity import create_admin
    from paysim_app.core.errors import DomainError
    from paysim_app.db import session_scope

    password = _read_password()
    try:
        with session_scope() as session:
            user = create_admin(session, args.email, password, args.role, full_name=args.name)
            user_id, email = user.id, user.email
    except DomainError as exc:
        message = _domain_message(exc)
        if exc.code == "auth.login_invalid":
            message = f"{args.email!r} is not a valid e-mail address."
        elif exc.code == "admins.unknown_role":
            from paysim_app.core.permissions import BUILTIN_ROLES

            message += " Built-in roles: " + ", ".join(f'"{r}"' for r in BUILTIN_ROLES) + "."
        raise CommandError(f"create-admin: {message}")
    except (OperationalError, ProgrammingError) as exc:
        _explain_missing_tables("create-admin", exc)
    print(f"Created admin {email} with role {args.role!r}: id {user_id}")
    return 0


def cmd_run_billing(args: argparse.Namespace) -> int:
    from datetime import date

    from paysim_app.billing.cycle import run_billing
    from paysim_app.catalogue import addons  # noqa: F401 - the cycle renews add-ons
    from paysim_app.db import session_scope
    from paysim_app.payments import get_gateway

    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        raise CommandError(f"run-billing: {args.date!r} is not a date; use YYYY-MM-DD")
    background_process()  # the app's web workers on this machine keep the CPU first
    try:
        with session_scope() as session:
            report = run_billing(
                session, get_gateway(), day, pace=get_settings().paysim_billing_pace
            )
    except (OperationalError, ProgrammingError) as exc:
        _explain_missing_tables("run-billing", exc)
    print(
        f"Billed {', '.join(report.days)}: {report.fees} fees ({report.fees_kop / 100:.2f} RUB), "
        f"{report.suspended} suspended; autopay {report.autopay['succeeded']} ok / "
        f"{report.autopay['failed']} failed; threshold top-ups {report.threshold['succeeded']}; "
        f"retries {report.retries['succeeded']} ok / {report.retries['failed']} failed; "
        f"{report.reconciled} pending payments reconciled; {report.warnings} warnings; "
        f"{report.seconds:.1f} s ({report.paused:.1f} s of it paused for the others)"
    )
    return 0


def cmd_import_sims(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from paysim_app.accounts.identity import actor_for
    from paysim_app.core.errors import DomainError
    from paysim_app.db import session_scope
    from paysim_app.sims import importing

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"import-sims: no such file {args.file!r}")
    try:
        with session_scope() as session:
            actor = importing.cli_actor()
            if args.admin:
                from sqlmodel import select

                from paysim_app.models import User

                user = session.exec(select(User).where(User.email == args.admin)).first()
                if user is None or user.role != "admin" or not user.is_active:
                    raise CommandError(f"import-sims: {args.admin!r} is not an active admin")
                actor = replace(actor_for(session, user), locale="en")
            background_process()  # like run-billing: the web workers keep the CPU first
            report = importing.import_sims(
                session,
                actor,
                path,
                file_name=path.name,
                dry_run=args.dry_run,
                rejects_to=args.rejects,
            )
    except DomainError as exc:
        raise CommandError(f"import-sims: {_domain_message(exc)}")
    except (OperationalError, ProgrammingError) as exc:
        _explain_missing_tables("import-sims", exc)
    importing.tidy_after(report)
    _print_import(report, args.show)
    if report.error:
        return 1
    return 0 if report.rejected == 0 else 1


def cmd_import_usage(args: argparse.Namespace) -> int:
    from pathlib import Path

    from paysim_app.core.errors import ValidationError
    from paysim_app.sims import usage

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"import-usage: no such file {args.file!r}")
    try:
        records = usage.parse(path.read_bytes())
    except ValidationError:
        raise CommandError(f"import-usage: {args.file!r} is not JSON or CSV of usage records")
    batch = get_settings().paysim_usage_max_records
    accepted = duplicates = 0
    rejected: list = []
    background_process()
    try:
        # one transaction per batch of PAYSIM_USAGE_MAX_RECORDS, as the endpoint takes them
        for first in range(0, len(records), batch):
            report = usage.ingest(args.sender, records[first : first + batch])
            accepted += report.accepted
            duplicates += report.duplicates
            rejected += [(first + r.index, r.record_id, r.reason) for r in report.rejected]
    except (OperationalError, ProgrammingError) as exc:
        _explain_missing_tables("import-usage", exc)
    print(
        f"{path.name}: {len(records)} records: {accepted} accepted, "
        f"{duplicates} duplicates, {len(rejected)} rejected"
    )
    for index, record_id, reason in rejected[: args.show]:
        print(f"  record {index + 1} ({record_id}): {reason}")
    if len(rejected) > args.show:
        print(f"  ... and {len(rejected) - args.show} more")
    return 1 if rejected else 0


def _print_import(report, show: int) -> None:
    from paysim_app.sims import importing

    print(f"{report.file_name}: {report.size} bytes, sha256 {report.sha256}")
    if report.error:
        print(f"Refused: {importing.error_text(report, 'en')} Nothing was imported.")
        return
    print(
        f"{report.rows} rows ({report.encoding}, separated by {report.delimiter!r}) "
        f"checked in {report.seconds:.1f} s:"
    )
    for kind, count in report.counts().items():
        print(f"  {kind.ljust(9)}  {count}")
    for kind in ("reject", "create", "update", "delete"):
        rows = report.samples.get(kind, ())
        limit = len(rows) if kind == "reject" else min(show, len(rows))
        if not limit:
            continue
        total = report.counts()[kind]
        more = f" (the first {limit} of {total})" if total > limit else ""
        print(f"{kind.capitalize()}{more}:")
        for r in rows[:limit]:
            if kind == "reject":
                why = importing.reason_text(r.reason, "en", r.ref)
                print(f"  line {r.line}: {r.reason}: {why}")
            elif kind == "update":
                print(f"  line {r.line}: {r.iccid}: {'; '.join(r.changes)}")
            else:
                print(f"  line {r.line}: {r.iccid} {r.msisdn}")
    if report.rejects_written:
        print(f"The {report.rejects_written} rejected rows were written to the rejects file.")
    elif report.rejected:
        print("Add --rejects OUT.csv to get every rejected row as a CSV to fix and re-import.")
    if report.rejected:
        print(f"Nothing was imported: {report.rejected} rows were rejected.")
    elif report.dry_run:
        print("Dry run: nothing was changed.")
    else:
        print(
            f"Imported: {report.created} created, {report.updated} updated, "
            f"{report.deleted} deleted, {report.unchanged} unchanged."
        )


def cmd_preflight(args: argparse.Namespace) -> int:
    from paysim_app import preflight

    settings = get_settings()
    found = preflight.problems(settings)
    if settings.redis_url and (why := preflight.redis_reachable(settings.redis_url)):
        found.append(why)
    if settings.paysim_sms_provider == "smpp" and not preflight.smpp_problems(settings):
        if why := preflight.smpp_bindable(settings):
            found.append(why)
    warnings = preflight.warnings(settings)
    if not found:
        workers = int(os.environ.get("GRANIAN_WORKERS") or (os.cpu_count() or 1) * 2 + 1)
        warnings += preflight.database_warnings(settings, workers)
    for line in warnings:
        print(f"warning: {line}")
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    if found:
        return 1
    print("preflight: production settings look right")
    return 0


def cmd_access_list(args: argparse.Namespace) -> int:
    import paysim_app.paysim_app  # noqa: F401  (defines every page and state)
    from paysim_app.ui import access

    access.INVENTORY_FILE.write_text(access.inventory_text(), encoding="utf-8")
    print(f"{access.INVENTORY_FILE}: {len(access.inventory())} handlers")
    return 0


# --------------------------------------------------------------------------- wiring


def build_parser() -> argparse.ArgumentParser:
    from paysim_app.core.permissions import ROLE_SUPERADMIN

    parser = argparse.ArgumentParser(
        prog="python -m paysim_app", description="PaySim command line."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("migrate", help="upgrade the database schema to the newest revision")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "access-list",
        help="write paysim_app/ui/access_list.txt, the reviewed inventory of who may call what",
    )
    p.set_defaults(func=cmd_access_list)

    p = sub.add_parser(
        "preflight", help="check the production settings (make prod runs this first)"
    )
    p.set_defaults(func=cmd_preflight)

    p = sub.add_parser("seed-demo", help="write the demo data (needs PAYSIM_DEMO=1)")
    p.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has users"
    )
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("demo-logins", help="print the demo accounts (needs PAYSIM_DEMO=1)")
    p.set_defaults(func=cmd_demo_logins)

    p = sub.add_parser(
        "create-admin",
        help=f"create an administrator; the password is asked twice or read from "
        f"${ADMIN_PASSWORD_ENV}",
    )
    p.add_argument("email")
    p.add_argument(
        "--role", default=ROLE_SUPERADMIN, help=f'admin role name (default "{ROLE_SUPERADMIN}")'
    )
    p.add_argument("--name", default="", help="full name")
    p.set_defaults(func=cmd_create_admin)

    p = sub.add_parser(
        "run-billing",
        help="run the billing cycle now (idempotent: charges nobody twice; catches up missed days)",
    )
    p.add_argument("--date", help="bill as of this Moscow date, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_run_billing)

    p = sub.add_parser(
        "import-sims",
        help="import SIMs from a CSV file (all or nothing; exit code 1 when rows are rejected)",
    )
    p.add_argument("file", help="the CSV: iccid, msisdn, imsi[, status, partner_code, ...]")
    p.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    p.add_argument("--rejects", help="write the rejected rows to this CSV (to fix and re-import)")
    p.add_argument("--admin", help="e-mail of the admin to audit the import as (needs sims.import)")
    p.add_argument("--show", type=int, default=20, help="rows of each kind to print (default 20)")
    p.set_defaults(func=cmd_import_sims)

    p = sub.add_parser(
        "import-usage",
        help="add a CDR file of usage records (JSON or CSV; exit code 1 when records are rejected)",
    )
    p.add_argument("file", help="record_id, iccid or imsi, start, end, bytes_up, bytes_down")
    p.add_argument("--sender", default="cdr-file", help="whose record ids (default cdr-file)")
    p.add_argument("--show", type=int, default=20, help="rejected records to print (default 20)")
    p.set_defaults(func=cmd_import_usage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
