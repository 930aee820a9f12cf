"""The import page's handlers: only `sims.import` gets in; an upload is stored and checked, the
preview fills counts and at most UI_ROWS rows per kind, confirm is offered only without rejects
and imports, the rejects download goes through the service."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import func, select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import identity
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.db import session_scope
from paysim_app.models import Sim
from paysim_app.settings import get_settings
from paysim_app.sims import importing
from paysim_app.ui.admin.sim_import import UI_ROWS, SimImportState
from tests.conftest import make_iccid, make_imsi, make_msisdn
from tests.ui.test_state_security import _leaf, _signed_in

HEADER = "iccid,msisdn,imsi,status,partner_code,tariff_code,action"


def _csv(first: int, count: int, bad: int = 0) -> bytes:
    lines = [HEADER]
    for n in range(first, first + count):
        imsi = "1" if n - first < bad else make_imsi(n)
        lines.append(f"{make_iccid(n)},{make_msisdn(n)},{imsi},,,,")
    return ("\n".join(lines) + "\n").encode()


def _upload(data: bytes, name: str = "sims.csv") -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name))


@pytest.fixture
def admin_state(db_url, factory, tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "paysim_attachments_dir", str(tmp_path / "files"))
    factory.admin(email="boss@example.ru")
    state = _leaf(SimImportState)
    state.auth_token = _signed_in("boss@example.ru")
    assert SimImportState.load.fn(state) is None
    return state


def _preview(state, data: bytes):
    events = asyncio.run(SimImportState.preview.fn(state, [_upload(data)]))
    assert SimImportState.run_preview in events and state.phase == "checking"
    with session_scope() as session:
        actor = identity.resolve_session(session, state.auth_token)
    state._show(
        importing.run_upload_job(importing.preview_upload, state._upload(), actor, False), False
    )
    return actor


def _sims() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Sim)).one()


def test_the_support_operator_is_sent_away(db_url, factory):
    factory.admin(ROLE_SUPPORT, email="ops@example.ru")
    state = _leaf(SimImportState)
    state.auth_token = _signed_in("ops@example.ru")
    assert SimImportState.load.fn(state) is not None  # a redirect
    for handler in (SimImportState.confirm, SimImportState.download_rejects):
        assert handler.fn(state) is not None and state._stored == ""
    events = asyncio.run(SimImportState.preview.fn(state, [_upload(_csv(900_001, 2))]))
    assert events is not None and state._stored == "" and _sims() == 0


def test_preview_then_confirm(admin_state):
    state = admin_state
    actor = _preview(state, _csv(900_001, 3))
    assert state.counts == {"create": 3, "update": 0, "delete": 0, "unchanged": 0, "reject": 0}
    assert [r["line"] for r in state.create_rows] == ["2", "3", "4"]
    assert state.create_rows[0]["msisdn"].startswith("+7 999")
    assert state.can_confirm and state.result_tone == "ok" and _sims() == 0
    assert SimImportState.confirm.fn(state) == SimImportState.run_confirm
    assert state.phase == "importing" and not state.can_confirm
    report = importing.run_upload_job(importing.confirm_upload, state._upload(), actor, True)
    state._show(report, True)
    assert state.phase == "done" and _sims() == 3 and "3" in state.result
    assert list(Path(importing.imports_dir()).glob("*.csv")) == []  # the upload is gone


def test_rejects_block_confirm_and_download(admin_state):
    state = admin_state
    _preview(state, _csv(900_101, UI_ROWS + 30, bad=UI_ROWS + 5))
    assert state.counts["reject"] == UI_ROWS + 5 and len(state.reject_rows) == UI_ROWS
    assert state.shown["reject"] != "" and state.shown["create"] == ""
    assert not state.can_confirm and state.result_tone == "bad"
    assert SimImportState.confirm.fn(state) is None and state.phase == "preview"
    download = SimImportState.download_rejects.fn(state)
    assert "sims-rejects.csv" in str(download)
    sent = json.dumps(state.dict(), default=str)
    assert len(sent) < 200_000 and state._stored not in sent  # the stored name stays backend
    SimImportState.reset_upload.fn(state)
    assert state.phase == "" and state._stored == "" and _sims() == 0


def test_a_file_that_cannot_be_read_shows_the_error(admin_state):
    state = admin_state
    _preview(state, b"")
    assert state.error and not state.can_confirm and state.counts["create"] == 0
