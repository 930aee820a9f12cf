"""A local fake of ATOL Online v4, enough for fiscal.atol.AtolFiscal to run against over HTTP.

    with FakeAtol() as fake:                    # serves on 127.0.0.1:<free port>
        provider = AtolFiscal(login=fake.login, password=fake.password,
                              group_code=fake.group, api_base=fake.url)
        fake.documents      # external_id -> the stored document (body, uuid, status)
        fake.requests       # (method, path, json body, Token header) of every request

Like ATOL: getToken hands out a token (a wrong password gets error 12); sell / sell_refund
need the Token header, answer {"uuid", "status": "wait"} and keep the document under its
external_id (posting the same external_id again answers error 33 with the first document's
uuid, registering nothing); report/{uuid} answers "wait" for `waits` reports, then "done"
with the fiscal payload.

Failure injection: `down = True` answers 503 to everything; `drop_next()` does the next
request's work, then hangs up without answering; `refuse_next(code, text)` refuses the next
document (status "fail" with that error); `expire_token()` makes the current token expired
(error 11), as ATOL does after 24 hours.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeAtol:
    login = "paysim-test"
    password = "atol-secret"
    group = "group_code_1"

    def __init__(self, waits: int = 0) -> None:
        self.waits = waits  # reports answered "wait" before "done"
        self.down = False
        self.documents: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any, str]] = []
        self._tokens: set[str] = set()
        self._drop = False
        self._refuse: tuple[int, str] | None = None
        self._fd = itertools.count(101)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- the server -------------------------------------------------------------------------
    def start(self) -> FakeAtol:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                status, answer, drop = fake.handle(
                    method, self.path, body, self.headers.get("Token", "")
                )
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # a short poll: stop() waits for the loop's next poll (0.5 s by default, per test)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAtol:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/possystem"

    # -- failure injection --------------------------------------------------------------------
    def drop_next(self) -> None:
        self._drop = True

    def refuse_next(self, code: int = 32, text: str = "Ошибка валидации JSON") -> None:
        self._refuse = (code, text)

    def expire_token(self) -> None:
        self._tokens.clear()

    def calls(self, method: str, suffix: str) -> list[tuple[str, str, Any, str]]:
        return [r for r in self.requests if r[0] == method and r[1].endswith(suffix)]

    # -- ATOL ---------------------------------------------------------------------------------
    @staticmethod
    def _error(code: int, text: str, type_: str = "system") -> dict:
        return {"error_id": str(uuidlib.uuid4()), "code": code, "text": text, "type": type_}

    def handle(self, method: str, path: str, body: Any, token: str) -> tuple[int, dict, bool]:
        with self._lock:
            self.requests.append((method, path, body, token))
            if self.down:
                return 503, {"error": "Service Unavailable"}, False
            drop, self._drop = self._drop, False
            status, answer = self._route(method, path, body, token)
            return status, answer, drop

    def _route(self, method: str, path: str, body: Any, token: str) -> tuple[int, dict]:
        parts = path.strip("/").split("/")  # possystem, v4, ...
        if parts[:2] != ["possystem", "v4"]:
            return 404, {"error": self._error(404, "not found")}
        rest = parts[2:]
        if method == "POST" and rest == ["getToken"]:
            if body != {"login": self.login, "pass": self.password}:
                return 200, {"error": self._error(12, "Неверный логин или пароль"), "token": ""}
            new = uuidlib.uuid4().hex
            self._tokens.add(new)
            return 200, {"error": None, "token": new, "timestamp": "06.12.2026 00:00:00"}
        if token not in self._tokens:
            return 401, {"error": self._error(11, "Срок действия токена истёк", "system")}
        if len(rest) == 2 and rest[0] == self.group and method == "POST":
            if rest[1] not in ("sell", "sell_refund"):
                return 404, {"error": self._error(404, "unknown operation")}
            return self._register(rest[1], body)
        if len(rest) == 3 and rest[0] == self.group and rest[1] == "report" and method == "GET":
            return self._report(rest[2])
        return 404, {"error": self._error(404, "not found")}

    def _register(self, operation: str, body: dict) -> tuple[int, dict]:
        external_id = body.get("external_id", "")
        known = self.documents.get(external_id)
        if known is not None:
            return 200, {
                "uuid": known["uuid"],
                "status": "fail",
                "error": self._error(33, f"В системе существует чек с external_id : {external_id}"),
                "timestamp": "06.12.2026 00:00:00",
            }
        doc = {
            "uuid": str(uuidlib.uuid4()),
            "operation": operation,
            "body": body,
            "reports": 0,
            "status": "wait",
            "error": None,
        }
        if self._refuse is not None:
            doc["status"], doc["error"] = "fail", self._error(*self._refuse, "driver")
            self._refuse = None
        self.documents[external_id] = doc
        answer = {"uuid": doc["uuid"], "status": doc["status"], "error": doc["error"]}
        return 200, {**answer, "timestamp": "06.12.2026 00:00:00"}

    def _report(self, uuid: str) -> tuple[int, dict]:
        doc = next((d for d in self.documents.values() if d["uuid"] == uuid), None)
        if doc is None:
            return 200, {"uuid": uuid, "status": None, "error": self._error(34, "Нет документа")}
        if doc["status"] == "wait":
            doc["reports"] += 1
            if doc["reports"] > self.waits:
                doc["status"] = "done"
                doc["payload"] = {
                    "total": doc["body"]["receipt"]["total"],
                    "fns_site": "www.nalog.gov.ru",
                    "fn_number": "9287440300077777",
                    "shift_number": 12,
                    "receipt_datetime": doc["body"]["timestamp"],
                    "fiscal_receipt_number": 7,
                    "fiscal_document_number": next(self._fd),
                    "ecr_registration_number": "0000111122223333",
                    "fiscal_document_attribute": 3026455760,
                }
        answer = {"uuid": uuid, "status": doc["status"], "error": doc["error"]}
        if doc["status"] == "done":
            answer["payload"] = doc["payload"]
        return 200, {**answer, "timestamp": "06.12.2026 00:00:00"}
