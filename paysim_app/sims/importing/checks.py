"""The checks over the staged rows: joining them with the SIMs they name, the checks against
the file itself and the database, the counts, the samples for the preview and the rejects CSV."""

from __future__ import annotations

import csv
import os
from typing import IO

from sqlalchemy import text
from sqlmodel import Session, SQLModel

from paysim_app.core.export import neutralise
from paysim_app.core.pacing import Pacer
from paysim_app.i18n import t
from paysim_app.sims.importing.reading import _Codes
from paysim_app.sims.importing.report import COLUMNS, KINDS, ImportRow, reason_text
from paysim_app.sims.importing.staging import ROWS, STAGE, _distinct, _postgres, _sql


def _referencing_tables() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to sim.id: a SIM with any of them is in use. Rows
    that go with the SIM (ON DELETE CASCADE: its balance row) are part of it, not a use."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if (fk.ondelete or "").upper() == "CASCADE":
                continue
            if fk.column.table.name == "sim" and fk.column.name == "id" and table.name != "sim":
                found.append((table.name, fk.parent.name))
    return sorted(found)


# The kind of a staged row, computed from its checks (no full-table UPDATE needed).
KIND_SQL = """CASE
    WHEN reason IS NOT NULL THEN 'reject'
    WHEN action = 'delete' THEN CASE WHEN sim_id IS NULL THEN 'unchanged' ELSE 'delete' END
    WHEN sim_id IS NULL THEN 'create'
    WHEN changed = 1 THEN 'update'
    ELSE 'unchanged' END"""


def _build_rows(session: Session, pacer: Pacer) -> None:
    """Join the staged lines with the SIMs they name; compute target values and `changed`.
    Here and in _check_rows each statement over the whole file is a pacer's batch: on a
    million lines each takes a core for seconds, and the web workers beside it want theirs."""
    d = lambda a, b: _distinct(session, a, b)  # noqa: E731
    _sql(
        session,
        f"""CREATE TEMP TABLE {ROWS} AS
        SELECT x.*, CASE WHEN x.sim_id IS NOT NULL AND (
                {d("x.msisdn", "x.cur_msisdn")} OR {d("x.imsi", "x.cur_imsi")}
                OR {d("x.t_status", "x.cur_status")} OR {d("x.t_partner_id", "x.cur_partner_id")}
                OR {d("x.t_tariff_id", "x.cur_tariff_id")}
                OR {d("x.t_code_hash", "x.cur_code_hash")}) THEN 1 ELSE 0 END AS changed
        FROM (
            SELECT s.*, sim.id AS sim_id, sim.msisdn AS cur_msisdn, sim.imsi AS cur_imsi,
                sim.status AS cur_status, sim.partner_id AS cur_partner_id,
                sim.tariff_id AS cur_tariff_id, sim.activation_code_hash AS cur_code_hash,
                sim.subscriber_id AS cur_subscriber_id,
                CASE WHEN s.status = '' THEN COALESCE(sim.status, 'in_stock')
                     ELSE s.status END AS t_status,
                CASE WHEN s.partner_code = '' THEN sim.partner_id
                     ELSE s.partner_id END AS t_partner_id,
                CASE WHEN s.tariff_code = '' THEN sim.tariff_id ELSE s.tariff_id END AS t_tariff_id,
                CASE WHEN s.activation_code = '' THEN sim.activation_code_hash
                     ELSE s.code_hash END AS t_code_hash
            FROM {STAGE} s LEFT JOIN sim ON sim.iccid = s.iccid AND (s.valid & 1) = 1
        ) x""",
    )
    pacer.batch_done()
    if _postgres(session):
        _sql(session, f"ANALYZE {ROWS}")  # without statistics the checks can pick awful plans


def _check_rows(session: Session, pacer: Pacer) -> None:
    """The checks that need the whole file or the database, each on the rows still clean."""
    for column, bit, reason, only_upserts in (
        ("iccid", 1, "duplicate_iccid", False),
        ("msisdn", 2, "duplicate_msisdn", True),
        ("imsi", 4, "duplicate_imsi", True),
    ):
        inner = " AND action = 'upsert'" if only_upserts else ""
        outer = f" AND {ROWS}.action = 'upsert'" if only_upserts else ""
        _sql(
            session,
            f"""UPDATE {ROWS} SET reason = '{reason}', ref = CAST(d.first AS TEXT)
            FROM (SELECT {column} AS v, min(line) AS first FROM {ROWS}
                  WHERE (valid & {bit}) = {bit}{inner}
                  GROUP BY {column} HAVING count(*) > 1) d
            WHERE {ROWS}.{column} = d.v AND {ROWS}.line > d.first AND {ROWS}.reason IS NULL
              AND ({ROWS}.valid & {bit}) = {bit}{outer}""",
        )
        pacer.batch_done()
    for column, reason in (("msisdn", "msisdn_taken"), ("imsi", "imsi_taken")):
        _sql(
            session,
            f"""UPDATE {ROWS} SET reason = '{reason}', ref = sim.iccid FROM sim
            WHERE {ROWS}.reason IS NULL AND {ROWS}.action = 'upsert'
              AND sim.{column} = {ROWS}.{column} AND sim.iccid <> {ROWS}.iccid""",
        )
        pacer.batch_done()
    d = lambda a, b: _distinct(session, a, b)  # noqa: E731
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'partner_inactive'
        WHERE reason IS NULL AND (flags & 1) = 1 AND {d("t_partner_id", "cur_partner_id")}""",
    )
    pacer.batch_done()
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'tariff_archived'
        WHERE reason IS NULL AND (flags & 2) = 2 AND {d("t_tariff_id", "cur_tariff_id")}""",
    )
    pacer.batch_done()
    used = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE {table}.{column} = {ROWS}.sim_id)"
        for table, column in _referencing_tables()
    )
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'sim_in_use'
        WHERE reason IS NULL AND action = 'delete' AND sim_id IS NOT NULL
          AND (cur_subscriber_id IS NOT NULL{" OR " + used if used else ""})""",
    )
    pacer.batch_done()
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'status_in_use'
        WHERE reason IS NULL AND action = 'upsert' AND sim_id IS NOT NULL
          AND cur_subscriber_id IS NOT NULL AND t_status <> cur_status""",
    )
    pacer.batch_done()


def _counts(session: Session) -> dict[str, int]:
    rows = _sql(
        session, f"SELECT {KIND_SQL} AS kind, count(*) AS n FROM {ROWS} GROUP BY kind"
    ).all()
    found = {k: 0 for k in KINDS}
    found.update({kind: n for kind, n in rows})
    return found


def _samples(
    session: Session, kind: str, limit: int, partners: _Codes, tariffs: _Codes
) -> tuple[ImportRow, ...]:
    if limit <= 0:
        return ()
    rows = _sql(
        session,
        f"""SELECT line, action, iccid, msisdn, imsi, status, t_status, partner_code,
            tariff_code, reason, ref, cur_msisdn, cur_imsi, cur_status, cur_partner_id,
            t_partner_id, cur_tariff_id, t_tariff_id, cur_code_hash, t_code_hash
        FROM {ROWS} WHERE {KIND_SQL} = :kind ORDER BY line LIMIT :limit""",
        kind=kind,
        limit=limit,
    ).mappings()
    out = []
    for r in rows:
        changes: list[str] = []
        status, partner, tariff = r["status"], r["partner_code"], r["tariff_code"]
        if kind in ("create", "update", "unchanged") and r["action"] == "upsert":
            status = r["t_status"]
            partner = partners.by_id.get(r["t_partner_id"], "") if r["t_partner_id"] else ""
            tariff = tariffs.by_id.get(r["t_tariff_id"], "") if r["t_tariff_id"] else ""
        if kind == "update":
            pairs = (
                ("msisdn", r["cur_msisdn"], r["msisdn"]),
                ("imsi", r["cur_imsi"], r["imsi"]),
                ("status", r["cur_status"], r["t_status"]),
                (
                    "partner_code",
                    partners.by_id.get(r["cur_partner_id"], "") if r["cur_partner_id"] else "",
                    partner,
                ),
                (
                    "tariff_code",
                    tariffs.by_id.get(r["cur_tariff_id"], "") if r["cur_tariff_id"] else "",
                    tariff,
                ),
            )
            changes = [
                f"{name}: {old or '—'} → {new or '—'}" for name, old, new in pairs if old != new
            ]
            if r["cur_code_hash"] != r["t_code_hash"]:
                changes.append("activation_code")
        out.append(
            ImportRow(
                line=r["line"],
                kind=kind,
                iccid=r["iccid"],
                msisdn=r["msisdn"],
                imsi=r["imsi"],
                status=status,
                partner_code=partner,
                tariff_code=tariff,
                action=r["action"],
                reason=r["reason"] or "",
                ref=r["ref"] or "",
                changes=tuple(changes),
            )
        )
    return tuple(out)


def _write_rejects(
    session: Session, target: str | os.PathLike | IO[str], with_code: bool, locale: str
) -> int:
    """The rejected rows as a CSV to fix and upload again: the same columns plus `reason`
    (which names the line), every cell neutralised against spreadsheet formulas."""
    header = [*COLUMNS, *(["activation_code"] if with_code else []), "reason"]
    delimiter = ";" if locale == "ru" else ","
    own = not hasattr(target, "write")
    out = open(target, "w", encoding="utf-8", newline="") if own else target  # noqa: SIM115
    written = 0
    try:
        if locale == "ru":
            out.write("\ufeff")  # Russian Excel reads UTF-8 only with the BOM
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        result = session.execute(
            text(
                f"""SELECT line, iccid, msisdn, imsi, status, partner_code, tariff_code, action,
                    activation_code, reason, ref FROM {ROWS} WHERE reason IS NOT NULL
                    ORDER BY line"""
            ).execution_options(yield_per=5000)
        )
        for r in result:
            cells = [r.iccid, r.msisdn, r.imsi, r.status, r.partner_code, r.tariff_code, r.action]
            if with_code:
                cells.append(r.activation_code)
            line = t("sim_import.line", locale, line=r.line)
            cells.append(f"{line}: {reason_text(r.reason, locale, r.ref or '')}")
            writer.writerow([neutralise(c) for c in cells])
            written += 1
    finally:
        if own:
            out.close()
    return written
