"""A local fake of the Stripe API, enough for the real `stripe` SDK to run StripeGateway against.

    with FakeStripe() as fake:                      # serves on 127.0.0.1:<free port>
        gateway = StripeGateway(secret_key=fake.api_key, api_base=fake.url, ...)
        ...
        fake.requests          # every request: method, path, params (nested), headers (lower-case)
        fake.charge_count      # Charge objects created (one per confirmed PaymentIntent)

It speaks Stripe's wire format: form-encoded bodies with `a[b]=c` / `a[0]=c` keys, JSON objects
with Stripe-like ids (cus_, pm_, seti_, pi_, ch_, re_, evt_), errors shaped like Stripe's (402
`card_error` carrying the failed `payment_intent` / `setup_intent`), and idempotency: a POST
repeated with the same `Idempotency-Key` gets exactly the first response back (header
`Idempotent-Replayed: true`) and does nothing again; the same key with other parameters is a 400
`idempotency_error`.

Test cards follow Stripe's test mode (and the SandboxGateway): see TEST_CARDS. For each
PaymentIntent it also prepares the webhook event Stripe would send (`fake.events`), and for each
refund `charge.refunded` (the charge with its running `amount_refunded`) and `refund.created`
(the refund: its id and amount); `sign_webhook()` signs them with Stripe's `t=...,v1=...`
scheme.

Checkout Sessions (`POST /v1/checkout/sessions`, retrieve with `expand[]`, `.../expire`) have a
hosted page of their own: `GET <fake.url>/pay/<session id>` is a tiny HTML form (card number,
expiry, CVC) that a browser test can fill, and `pay_session()` does the same from Python. A paid
page completes its session (PaymentIntent or SetupIntent made, the card attached to the customer
when saved) and redirects to the success URL; a declined card is told on the page (the session
stays open); a card that wants 3-D Secure (3184 always, 3155 unless set up for off-session use)
gets a confirm / fail step. The events Stripe would send (checkout.session.completed / expired,
payment_intent.succeeded / payment_failed, setup_intent.succeeded) are kept in `fake.events` and,
after `forward_to(url, secret)`, also POSTed there, signed.

Failure injection: `fail_next(status)` answers the next request with an error before doing
anything; `drop_next_response()` does the work, then hangs up without answering (the charge
happened, the caller cannot know).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"

# number -> (where it fails, code, decline_code); "ok" cards have no entry.
#   "tokenize": creating the PaymentMethod already fails
#   "attach":   saving it (SetupIntent) and every charge fail
#   "charge":   saving works, charges fail
#   "auth":     needs 3-D Secure every time: requires_action on-session, declined off-session
#   "auth_setup": needs 3-D Secure unless set up for off-session use
TEST_CARDS: dict[str, tuple[str, str, str | None]] = {
    "4000000000000002": ("attach", "card_declined", "generic_decline"),
    "4000000000009995": ("attach", "card_declined", "insufficient_funds"),
    "4000000000009987": ("attach", "card_declined", "lost_card"),
    "4000000000009979": ("attach", "card_declined", "stolen_card"),
    "4100000000000019": ("attach", "card_declined", "fraudulent"),
    "4000000000000119": ("attach", "processing_error", None),
    "4000000000006975": ("charge", "card_declined", "card_velocity_exceeded"),
    "4000000000000069": ("tokenize", "expired_card", "expired_card"),
    "4000000000000127": ("tokenize", "incorrect_cvc", "incorrect_cvc"),
    "4000000000000341": ("charge", "card_declined", "generic_decline"),
    "4000002760003184": ("auth", "authentication_required", "authentication_required"),
    # 3-D Secure on-session only: once set up for off-session use, charges go through
    "4000002500003155": ("auth_setup", "authentication_required", "authentication_required"),
    # pays, then the card holder's bank disputes the charge (charge.dispute.created follows)
    "4000000000000259": ("dispute", "", None),
}

MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "incorrect_number": "Your card number is incorrect.",
    "invalid_expiry_month": "Your card's expiration month is invalid.",
    "invalid_expiry_year": "Your card's expiration year is invalid.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
    "card_velocity_exceeded": "Your card was declined for making repeated attempts too frequently "
    "or exceeding its amount limit.",
}

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(24))}"


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


# -- wire format ---------------------------------------------------------------------------------
def parse_form(text: str) -> dict[str, Any]:
    """`a=1&b[c]=2&d[0]=x&d[1]=y` -> {"a": "1", "b": {"c": "2"}, "d": ["x", "y"]}.
    Values stay strings, as on the wire."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, *rest = re.findall(r"[^\[\]]+", key) or [key]
        parts = [head, *rest]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


def _int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(
            400,
            "invalid_request_error",
            f"Invalid integer: {value}",
            param=param,
            code="parameter_invalid_integer",
        ) from None


class ApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, **fields: Any):
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {
                "type": type_,
                "message": message,
                **{k: v for k, v in fields.items() if v is not None},
            }
        }


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]  # lower-case names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class _Stored:
    fingerprint: str
    status: int
    body: bytes


@dataclass
class FakeStripe:
    api_key: str = "sk_test_fake_paysim"
    requests: list[Recorded] = field(default_factory=list)
    customers: dict[str, dict] = field(default_factory=dict)
    payment_methods: dict[str, dict] = field(default_factory=dict)
    setup_intents: dict[str, dict] = field(default_factory=dict)
    payment_intents: dict[str, dict] = field(default_factory=dict)
    charges: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    checkout_sessions: dict[str, dict] = field(default_factory=dict)
    disputes: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._numbers: dict[str, str] = {}  # pm id -> card number (the fake's "vault")
        self._idempotent: dict[str, _Stored] = {}
        self._lock = threading.RLock()
        self._fail_next: tuple[int, str, str | None] | None = None
        self._drop_next = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._forward: tuple[str, str] | None = None  # (webhook URL, signing secret)
        self._challenged: dict[str, str] = {}  # session id -> pm id waiting for 3-D Secure
        self._set_up: set[str] = set()  # pm ids set up for off-session use

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeStripe:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeStripe is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self._lock:
            for store in (self.requests, self.events):
                store.clear()
            for table in (
                self.customers,
                self.payment_methods,
                self.setup_intents,
                self.payment_intents,
                self.charges,
                self.refunds,
                self.checkout_sessions,
                self.disputes,
                self._numbers,
                self._idempotent,
                self._challenged,
            ):
                table.clear()
            self._set_up.clear()
            self._fail_next = None
            self._drop_next = False
            self._forward = None

    # -- inspection and failure injection --------------------------------------------------------
    @property
    def charge_count(self) -> int:
        """Charge attempts that reached the card network (succeeded or declined)."""
        return len(self.charges)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def fail_next(self, status: int = 500, type_: str = "api_error", code: str | None = None):
        """Answer the next request with this error, without acting on it."""
        self._fail_next = (status, type_, code)

    def drop_next_response(self) -> None:
        """Act on the next request, then close the connection without answering."""
        self._drop_next = True

    def card_on_file(self, number: str, customer: str | None = None, *, set_up: bool = True) -> str:
        """A PaymentMethod as if saved earlier on a hosted page, while it still worked (most
        declining test cards cannot be saved today): its id. No API call."""
        with self._lock:
            method = self._create_payment_method(
                {"type": "card", "card": {"number": number, "exp_month": "12", "exp_year": "2031"}}
            )
            method["customer"] = customer
            if set_up:
                self._set_up.add(method["id"])
            return method["id"]

    def forward_to(self, url: str, secret: str) -> None:
        """POST every event from now on to `url`, signed with `secret`, as Stripe does."""
        self._forward = (url, secret)

    def event_for(self, payment_intent_id: str, type_: str | None = None) -> dict:
        found = [
            e
            for e in self.events
            if e["data"]["object"].get("id") == payment_intent_id
            or e["data"]["object"].get("payment_intent") == payment_intent_id
        ]
        if type_:
            found = [e for e in found if e["type"] == type_]
        assert found, f"no event for {payment_intent_id}"
        return found[-1]

    # -- disputes (the card holder's bank; no API call makes them) -------------------------------
    def open_dispute(
        self, payment_intent_id: str, *, amount: int | None = None, reason: str = "fraudulent"
    ) -> str:
        """The bank disputes the intent's charge: a Dispute (status needs_response, evidence due
        in a week) and its charge.dispute.created event. Returns the dispute's id."""
        with self._lock:
            intent = self.payment_intents[payment_intent_id]
            charge = self.charges[intent["latest_charge"]]
            now = int(time.time())
            dispute = {
                "id": new_id("dp"),
                "object": "dispute",
                "amount": amount or charge["amount"] - charge["amount_refunded"],
                "balance_transactions": [],
                "charge": charge["id"],
                "payment_intent": payment_intent_id,
                "currency": charge["currency"],
                "created": now,
                "evidence_details": {
                    "due_by": now + 7 * 86400,
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                },
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "reason": reason,
                "status": "needs_response",
            }
            self.disputes[dispute["id"]] = dispute
            charge["disputed"] = True
            self._emit("charge.dispute.created", dispute)
            return dispute["id"]

    def update_dispute(self, dispute_id: str, status: str) -> dict:
        """The dispute moves on (under_review, ...; won, lost, warning_closed close it): its
        charge.dispute.updated or .closed event, which it returns."""
        with self._lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = status
            closed = status in ("won", "lost", "warning_closed")
            self._emit("charge.dispute.closed" if closed else "charge.dispute.updated", dispute)
            return self.events[-1]

    # -- request handling ------------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict, headers: dict[str, str]):
        """-> (status, body bytes, extra headers), or None to hang up without an answer."""
        with self._lock:
            self.requests.append(Recorded(method, path, params, headers))
            if self._fail_next is not None:
                status, type_, code = self._fail_next
                self._fail_next = None
                err = ApiError(status, type_, "Fake Stripe was told to fail.", code=code)
                return status, _dump(err.body), {"Stripe-Should-Retry": "false"}
            drop, self._drop_next = self._drop_next, False
            if headers.get("authorization") != f"Bearer {self.api_key}":
                err = ApiError(401, "invalid_request_error", "Invalid API Key provided.")
                return 401, _dump(err.body), {}
            key = headers.get("idempotency-key") if method == "POST" else None
            fingerprint = f"{path} {json.dumps(params, sort_keys=True)}"
            stored = self._idempotent.get(key) if key else None
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    err = ApiError(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                    )
                    return 400, _dump(err.body), {}
                result = (stored.status, stored.body, {"Idempotent-Replayed": "true"})
            else:
                try:
                    status, obj = 200, self._route(method, path, params)
                except ApiError as err:
                    status, obj = err.status, err.body
                result = (status, _dump(obj), {})
                if key and status != 401:
                    self._idempotent[key] = _Stored(fingerprint, status, result[1])
            return None if drop else result

    def _route(self, method: str, path: str, params: dict) -> dict:
        parts = path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            raise _unrecognised(method, path)
        parts = parts[1:]
        route = (method, parts[0] if parts else "", len(parts))
        if route == ("POST", "customers", 1):
            return self._create_customer(params)
        if route == ("POST", "payment_methods", 1):
            return self._create_payment_method(params)
        if route == ("GET", "payment_methods", 2):
            return self._get(self.payment_methods, parts[1], "payment_method")
        if route == ("POST", "payment_methods", 3) and parts[2] == "detach":
            return self._detach(parts[1])
        if route == ("POST", "setup_intents", 1):
            return self._create_setup_intent(params)
        if route == ("POST", "payment_intents", 1):
            return self._create_payment_intent(params)
        if route == ("GET", "payment_intents", 2) and parts[1] == "search":
            return self._search_payment_intents(params)
        if route == ("GET", "payment_intents", 2):
            return self._get(self.payment_intents, parts[1], "payment_intent")
        if route == ("POST", "refunds", 1):
            return self._create_refund(params)
        if route == ("GET", "disputes", 2):
            return self._get(self.disputes, parts[1], "dispute")
        if parts[:2] == ["checkout", "sessions"]:
            rest = parts[2:]
            if method == "POST" and not rest:
                return self._create_checkout(params)
            if method == "GET" and len(rest) == 1:
                return self._checkout_view(rest[0], params.get("expand") or [])
            if method == "POST" and len(rest) == 2 and rest[1] == "expire":
                return self._expire_checkout(rest[0])
        raise _unrecognised(method, path)

    # -- resources ---------------------------------------------------------------------------------
    def _get(self, table: dict[str, dict], id_: str, param: str) -> dict:
        if id_ not in table:
            raise _missing(param, id_)
        return table[id_]

    def _create_customer(self, params: dict) -> dict:
        customer = {
            "id": new_id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email"),
            "description": params.get("description"),
            "metadata": params.get("metadata") or {},
            "livemode": False,
            "balance": 0,
            "currency": None,
            "default_source": None,
            "invoice_settings": {"default_payment_method": None},
        }
        self.customers[customer["id"]] = customer
        return customer

    def _create_payment_method(self, params: dict) -> dict:
        if params.get("type") != "card":
            raise ApiError(
                400,
                "invalid_request_error",
                "Invalid payment method type.",
                param="type",
                code="parameter_invalid_empty",
            )
        card = params.get("card") or {}
        number = str(card.get("number", "")).replace(" ", "")
        if not luhn_ok(number):
            raise _card_error("incorrect_number", None, param="card[number]")
        month = _int(card.get("exp_month"), "card[exp_month]")
        year = _int(card.get("exp_year"), "card[exp_year]")
        if not 1 <= month <= 12:
            raise _card_error("invalid_expiry_month", None, param="card[exp_month]")
        now = time.gmtime()
        if (year, month) < (now.tm_year, now.tm_mon):
            raise _card_error("invalid_expiry_year", None, param="card[exp_year]")
        stage, code, decline = TEST_CARDS.get(number, ("ok", "", None))
        if stage == "tokenize":
            raise _card_error(code, decline, param="card[cvc]" if "cvc" in code else None)
        method = {
            "id": new_id("pm"),
            "object": "payment_method",
            "type": "card",
            "created": int(time.time()),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "allow_redisplay": "unspecified",
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "card": {
                "brand": brand_of(number),
                "display_brand": brand_of(number),
                "last4": number[-4:],
                "exp_month": month,
                "exp_year": year,
                "funding": "credit",
                "country": "US",
                "fingerprint": hashlib.sha256(number.encode()).hexdigest()[:16],
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "unchecked",
                },
                "three_d_secure_usage": {"supported": True},
                "networks": {"available": [brand_of(number)], "preferred": None},
                "wallet": None,
            },
        }
        self.payment_methods[method["id"]] = method
        self._numbers[method["id"]] = number
        return method

    def _detach(self, pm_id: str) -> dict:
        method = self._get(self.payment_methods, pm_id, "payment_method")
        if not method["customer"]:
            raise ApiError(
                400,
                "invalid_request_error",
                "The payment method you provided is not attached to a customer so "
                "detachment is impossible.",
                code="payment_method_unexpected_state",
            )
        method["customer"] = None
        method["_detached"] = True
        return _public(method)

    def _create_setup_intent(self, params: dict) -> dict:
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise _missing("customer", customer)
        pm_id = params.get("payment_method")
        method = self._get(self.payment_methods, pm_id or "", "payment_method")
        intent = {
            "id": new_id("seti"),
            "object": "setup_intent",
            "created": int(time.time()),
            "customer": customer,
            "payment_method": pm_id,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "usage": params.get("usage", "off_session"),
            "status": "requires_confirmation",
            "last_setup_error": None,
            "next_action": None,
            "latest_attempt": None,
            "client_secret": None,
            "livemode": False,
            "metadata": params.get("metadata") or {},
        }
        intent["client_secret"] = f"{intent['id']}_secret_{new_id('x')[2:]}"
        self.setup_intents[intent["id"]] = intent
        if not _bool(params.get("confirm")):
            return intent
        stage, code, decline = TEST_CARDS.get(self._numbers[pm_id], ("ok", "", None))
        intent["latest_attempt"] = new_id("setatt")
        if stage == "attach":
            error = _card_error(code, decline)
            error.body["error"]["payment_method"] = _public(method)
            intent.update(
                status="requires_payment_method",
                payment_method=None,
                last_setup_error=_copy(error.body["error"]),
            )
            error.body["error"]["setup_intent"] = _copy(intent)
            raise error
        intent["status"] = "succeeded"
        if customer:
            method["customer"] = customer
        return intent

    def _create_payment_intent(self, params: dict) -> dict:
        amount = _int(params.get("amount"), "amount")
        if amount < 1:
            raise ApiError(
                400,
                "invalid_request_error",
                "This value must be greater than or equal to 1.",
                param="amount",
                code="parameter_invalid_integer",
            )
        if not params.get("currency"):
            raise ApiError(
                400,
                "invalid_request_error",
                "Missing required param: currency.",
                param="currency",
                code="parameter_missing",
            )
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise _missing("customer", customer)
        pm_id = params.get("payment_method") or ""
        method = self._get(self.payment_methods, pm_id, "payment_method")
        if method.get("_detached"):
            raise ApiError(
                400,
                "invalid_request_error",
                "This PaymentMethod was previously used without being attached to a "
                "Customer or was detached from a Customer, and may not be used again.",
                param="payment_method",
            )
        if method["customer"] and method["customer"] != customer:
            raise ApiError(
                400,
                "invalid_request_error",
                "The provided PaymentMethod belongs to a Customer; pass that Customer "
                "in `customer` to use it.",
                param="customer",
            )
        off_session = _bool(params.get("off_session"))
        intent = {
            "id": new_id("pi"),
            "object": "payment_intent",
            "created": int(time.time()),
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": params["currency"],
            "customer": customer,
            "description": params.get("description"),
            "payment_method": pm_id,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "capture_method": "automatic",
            "confirmation_method": "automatic",
            "status": "requires_confirmation",
            "latest_charge": None,
            "last_payment_error": None,
            "next_action": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "setup_future_usage": None,
            "client_secret": None,
            "livemode": False,
            "metadata": params.get("metadata") or {},
        }
        intent["client_secret"] = f"{intent['id']}_secret_{new_id('x')[2:]}"
        self.payment_intents[intent["id"]] = intent
        if not _bool(params.get("confirm")):
            return intent
        stage, code, decline = TEST_CARDS.get(self._numbers[pm_id], ("ok", "", None))
        wants_3ds = stage == "auth" or (
            stage == "auth_setup" and not (off_session and pm_id in self._set_up)
        )
        if wants_3ds and not off_session:
            # the payer must authenticate in the browser: nothing charged yet
            intent.update(
                status="requires_action",
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}},
            )
            return intent
        fails = stage in ("attach", "charge") or (wants_3ds and off_session)
        charge = self._new_charge(intent, method)
        intent["latest_charge"] = charge["id"]
        if not fails:
            intent.update(status="succeeded", amount_received=amount)
            self._emit("payment_intent.succeeded", intent)
            if stage == "dispute":
                self.open_dispute(intent["id"])
            return intent
        error = _card_error(code, decline)
        error.body["error"]["charge"] = charge["id"]
        error.body["error"]["payment_method"] = _public(method)
        charge.update(
            status="failed",
            paid=False,
            captured=False,
            amount_captured=0,
            failure_code=code,
            failure_message=MESSAGES.get(decline or code),
            outcome={
                "type": "issuer_declined",
                "network_status": "declined_by_network",
                "reason": decline,
                "seller_message": "The bank did not return any further details with this decline.",
            },
        )
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=_copy(error.body["error"]),
        )
        error.body["error"]["payment_intent"] = _copy(intent)
        self._emit("payment_intent.payment_failed", intent)
        raise error

    def _new_charge(self, intent: dict, method: dict) -> dict:
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "created": int(time.time()),
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "captured": True,
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "paid": True,
            "refunded": False,
            "status": "succeeded",
            "failure_code": None,
            "failure_message": None,
            "outcome": {
                "type": "authorized",
                "network_status": "approved_by_network",
                "reason": None,
                "seller_message": "Payment complete.",
            },
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": {"type": "card", "card": _copy(method["card"])},
            "livemode": False,
            "metadata": dict(intent["metadata"]),
        }
        self.charges[charge["id"]] = charge
        return charge

    def _search_payment_intents(self, params: dict) -> dict:
        query = params.get("query") or ""
        clauses = re.findall(r"(\w+)(?:\['([^']*)'\])?:'((?:[^'\\]|\\.)*)'", query)
        if not clauses:
            raise ApiError(
                400, "invalid_request_error", f"Invalid search query: {query}", param="query"
            )
        found = []
        for intent in self.payment_intents.values():
            for name, sub, raw in clauses:
                value = re.sub(r"\\(.)", r"\1", raw)
                actual = intent.get(name)
                if sub:
                    actual = (actual or {}).get(sub) if isinstance(actual, dict) else None
                if str(actual) != value:
                    break
            else:
                found.append(intent)
        found.sort(key=lambda i: i["created"], reverse=True)
        limit = _int(params.get("limit", 10), "limit")
        return {
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "next_page": None,
        }

    def _create_refund(self, params: dict) -> dict:
        pi_id = params.get("payment_intent") or ""
        intent = self._get(self.payment_intents, pi_id, "payment_intent")
        if intent["status"] != "succeeded":
            raise ApiError(
                400,
                "invalid_request_error",
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge = self.charges[intent["latest_charge"]]
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(params.get("amount", left), "amount")
        if left == 0:
            raise ApiError(
                400,
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        if not 1 <= amount <= left:
            raise ApiError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
                code="amount_too_large",
            )
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "created": int(time.time()),
            "amount": amount,
            "charge": charge["id"],
            "payment_intent": pi_id,
            "currency": charge["currency"],
            "status": "succeeded",
            "reason": params.get("reason"),
            "metadata": params.get("metadata") or {},
            "balance_transaction": new_id("txn"),
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        # Stripe sends both, in no promised order: the charge with its running total (this API
        # version leaves the charge's `refunds` list out) and the refund itself
        self._emit("charge.refunded", charge)
        self._emit("refund.created", refund)
        return refund

    # -- Checkout Sessions ---------------------------------------------------------------------
    def _create_checkout(self, params: dict) -> dict:
        mode = params.get("mode")
        if mode not in ("payment", "setup"):
            raise ApiError(
                400,
                "invalid_request_error",
                "Invalid mode.",
                param="mode",
                code="parameter_invalid",
            )
        for name in ("success_url", "cancel_url"):
            if not params.get(name):
                raise ApiError(
                    400,
                    "invalid_request_error",
                    f"Missing required param: {name}.",
                    param=name,
                    code="parameter_missing",
                )
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise _missing("customer", customer)
        amount = None
        if mode == "payment":
            items = params.get("line_items") or []
            if not items:
                raise ApiError(
                    400,
                    "invalid_request_error",
                    "Missing required param: line_items.",
                    param="line_items",
                    code="parameter_missing",
                )
            amount = sum(
                _int(i["price_data"]["unit_amount"], "unit_amount")
                * _int(i.get("quantity", 1), "quantity")
                for i in items
            )
        now = int(time.time())
        expires = _int(params.get("expires_at", now + 24 * 3600), "expires_at")
        if not now + 30 * 60 - 5 <= expires <= now + 24 * 3600 + 5:
            raise ApiError(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                param="expires_at",
            )
        session_id = new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "created": now,
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
            "amount_total": amount,
            "currency": "rub",
            "customer": customer,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "expires_at": expires,
            "locale": params.get("locale"),
            "payment_intent": None,
            "setup_intent": None,
            "url": f"{self.url}/pay/{session_id}",
            "livemode": False,
            "_payment_intent_data": params.get("payment_intent_data") or {},
            "_setup_intent_data": params.get("setup_intent_data") or {},
        }
        self.checkout_sessions[session_id] = session
        return session

    def _checkout_view(self, session_id: str, expand: list[str]) -> dict:
        session = _public(self._get(self.checkout_sessions, session_id, "session"))
        for field_name, table in (
            ("payment_intent", self.payment_intents),
            ("setup_intent", self.setup_intents),
        ):
            if f"{field_name}" in " ".join(expand) and session.get(field_name):
                intent = _copy(table[session[field_name]])
                if f"{field_name}.payment_method" in expand and intent.get("payment_method"):
                    intent["payment_method"] = _public(
                        self.payment_methods[intent["payment_method"]]
                    )
                session[field_name] = intent
        return session

    def _expire_checkout(self, session_id: str) -> dict:
        session = self._get(self.checkout_sessions, session_id, "session")
        if session["status"] != "open":
            raise ApiError(
                400,
                "invalid_request_error",
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
                code="checkout_session_not_open",
            )
        session["status"] = "expired"
        self._challenged.pop(session_id, None)
        self._emit("checkout.session.expired", _public(session))
        return session

    def pay_session(
        self,
        session_id: str,
        number: str,
        *,
        exp: str = "12/34",
        cvc: str = "123",
        confirm: bool | None = None,
    ) -> str:
        """What the hosted page does with a card: "complete", "challenge" (3-D Secure asked;
        `confirm` answers it), "closed", or the decline code shown on the page."""
        with self._lock:
            outcome = self._pay(session_id, number.replace(" ", ""), exp, cvc)
        if outcome == "challenge" and confirm is not None:
            outcome = self.answer_challenge(session_id, confirm)
        return outcome

    def answer_challenge(self, session_id: str, passed: bool) -> str:
        with self._lock:
            session = self.checkout_sessions.get(session_id)
            pm_id = self._challenged.pop(session_id, None)
            if session is None or session["status"] != "open" or pm_id is None:
                return "closed"
            if not passed:
                return self._attempt_failed(
                    session, pm_id, "card_declined", "payment_intent_authentication_failure"
                )
            return self._succeed(session, pm_id)

    def _pay(self, session_id: str, number: str, exp: str, cvc: str) -> str:
        session = self.checkout_sessions.get(session_id)
        if session is None or session["status"] != "open" or session_id in self._challenged:
            return "closed"
        if session["expires_at"] < time.time():
            session["status"] = "expired"
            self._emit("checkout.session.expired", _public(session))
            return "closed"
        month, _, year = exp.partition("/")
        try:
            method = self._create_payment_method(
                {
                    "type": "card",
                    "card": {
                        "number": number,
                        "exp_month": month,
                        "exp_year": str(2000 + int(year) % 100),
                        "cvc": cvc,
                    },
                }
            )
        except (ApiError, ValueError) as err:
            body = getattr(err, "body", {"error": {"code": "incorrect_number"}})["error"]
            return self._attempt_failed(
                session, None, body.get("code") or "card_declined", body.get("decline_code")
            )
        stage, code, decline = TEST_CARDS.get(number, ("ok", "", None))
        if session["mode"] == "setup" and stage == "attach":
            return self._attempt_failed(session, method["id"], code, decline)
        if session["mode"] == "payment" and stage in ("attach", "charge"):
            return self._attempt_failed(session, method["id"], code, decline)
        if stage in ("auth", "auth_setup"):
            self._challenged[session_id] = method["id"]
            return "challenge"
        return self._succeed(session, method["id"])

    def _intent_for(self, session: dict) -> dict:
        """The session's PaymentIntent / SetupIntent, made at its first attempt."""
        if session["mode"] == "payment":
            if not session["payment_intent"]:
                data = session["_payment_intent_data"]
                intent = {
                    "id": new_id("pi"),
                    "object": "payment_intent",
                    "created": int(time.time()),
                    "amount": session["amount_total"],
                    "amount_received": 0,
                    "currency": "rub",
                    "customer": session["customer"],
                    "description": data.get("description"),
                    "payment_method": None,
                    "status": "requires_payment_method",
                    "latest_charge": None,
                    "last_payment_error": None,
                    "setup_future_usage": data.get("setup_future_usage"),
                    "metadata": data.get("metadata") or {},
                    "livemode": False,
                }
                self.payment_intents[intent["id"]] = intent
                session["payment_intent"] = intent["id"]
            return self.payment_intents[session["payment_intent"]]
        if not session["setup_intent"]:
            intent = {
                "id": new_id("seti"),
                "object": "setup_intent",
                "created": int(time.time()),
                "customer": session["customer"],
                "payment_method": None,
                "usage": "off_session",
                "status": "requires_payment_method",
                "last_setup_error": None,
                "metadata": (session["_setup_intent_data"].get("metadata") or {}),
                "livemode": False,
            }
            self.setup_intents[intent["id"]] = intent
            session["setup_intent"] = intent["id"]
        return self.setup_intents[session["setup_intent"]]

    def _attempt_failed(self, session: dict, pm_id: str | None, code: str, decline) -> str:
        intent = self._intent_for(session)
        error = {
            "type": "card_error",
            "code": code,
            "decline_code": decline,
            "message": MESSAGES.get(decline or code, "Your card was declined."),
        }
        if session["mode"] == "payment":
            if pm_id:
                charge = self._new_charge(intent, self.payment_methods[pm_id])
                charge.update(
                    status="failed",
                    paid=False,
                    captured=False,
                    amount_captured=0,
                    failure_code=code,
                )
                intent["latest_charge"] = charge["id"]
            intent.update(status="requires_payment_method", last_payment_error=error)
            self._emit("payment_intent.payment_failed", intent)
        else:
            intent.update(status="requires_payment_method", last_setup_error=error)
            self._emit("setup_intent.setup_failed", intent)
        return decline or code

    def _succeed(self, session: dict, pm_id: str) -> str:
        disputed = None
        intent = self._intent_for(session)
        method = self.payment_methods[pm_id]
        keep = session["mode"] == "setup" or intent.get("setup_future_usage") == "off_session"
        if keep and session["customer"]:
            method["customer"] = session["customer"]
            self._set_up.add(pm_id)
        intent.update(status="succeeded", payment_method=pm_id)
        if session["mode"] == "payment":
            charge = self._new_charge(intent, method)
            intent.update(
                amount_received=intent["amount"],
                latest_charge=charge["id"],
                last_payment_error=None,
            )
            self._emit("payment_intent.succeeded", intent)
            session["payment_status"] = "paid"
            if TEST_CARDS.get(self._numbers.get(pm_id, ""), ("ok",))[0] == "dispute":
                disputed = intent["id"]
        else:
            self._emit("setup_intent.succeeded", intent)
        session["status"] = "complete"
        self._emit("checkout.session.completed", _public(session))
        if session["mode"] == "payment" and disputed:
            self.open_dispute(disputed)
        return "complete"

    def page(self, session_id: str, message: str = "") -> tuple[int, bytes, dict]:
        """The hosted page's HTML (GET), or where it sends the payer."""
        session = self.checkout_sessions.get(session_id)
        if session is None:
            return 404, b"<h1>Not found</h1>", {}
        if session["status"] == "complete":
            return 303, b"", {"Location": session["success_url"]}
        if session["status"] == "expired":
            body = "<h1>This checkout session has expired</h1>"
        elif session_id in self._challenged:
            body = (
                "<h1>3D Secure 2 Test Page</h1><form method='post'>"
                "<button name='action' value='confirm' id='fake-3ds-confirm'>Complete</button>"
                "<button name='action' value='fail' id='fake-3ds-fail'>Fail</button></form>"
            )
        else:
            amount = session["amount_total"]
            body = (
                f"<h1>{'Pay ' + str(amount / 100) + ' RUB' if amount else 'Save a card'}</h1>"
                + (f"<p id='fake-error'>{escape(message)}</p>" if message else "")
                + "<form method='post'><input type='hidden' name='action' value='pay'>"
                "<input name='number' id='fake-number' placeholder='Card number'>"
                "<input name='exp' id='fake-exp' placeholder='MM / YY'>"
                "<input name='cvc' id='fake-cvc' placeholder='CVC'>"
                "<button id='fake-pay'>Pay</button></form>"
                f"<a id='fake-back' href='{escape(session['cancel_url'])}'>Back</a>"
            )
        html_page = f"<!doctype html><html><body><p>Fake Stripe Checkout (test mode)</p>{body}</body></html>"
        return 200, html_page.encode(), {}

    def page_post(self, session_id: str, form: dict) -> tuple[int, bytes, dict]:
        action = form.get("action")
        if action in ("confirm", "fail"):
            outcome = self.answer_challenge(session_id, action == "confirm")
        else:
            outcome = self.pay_session(
                session_id,
                str(form.get("number", "")),
                exp=str(form.get("exp", "")),
                cvc=str(form.get("cvc", "")),
            )
        if outcome in ("complete", "challenge", "closed"):
            return self.page(session_id)
        return self.page(session_id, MESSAGES.get(outcome, "Your card was declined."))

    def _emit(self, type_: str, obj: dict) -> None:
        event = make_event(type_, _copy(_public(obj)))
        self.events.append(event)
        if self._forward is not None:
            url, secret = self._forward
            payload, signature = signed_event(event, secret)

            def post() -> None:
                request = urllib.request.Request(
                    url,
                    data=payload,
                    method="POST",
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                )
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    opener.open(request, timeout=10).close()
                except Exception:  # noqa: BLE001 - a test reads fake.events as well
                    pass

            threading.Thread(target=post, daemon=True).start()


# -- webhooks --------------------------------------------------------------------------------------
def make_event(type_: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req"), "idempotency_key": None},
        "type": type_,
    }


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: HMAC-SHA256 over f"{t}.{payload}" with the endpoint secret."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signed_event(event: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event, indent=2).encode()  # Stripe sends pretty-printed JSON
    return payload, sign_webhook(payload, secret, timestamp)


# -- helpers ---------------------------------------------------------------------------------------
def _card_error(code: str, decline: str | None, param: str | None = None) -> ApiError:
    return ApiError(
        402,
        "card_error",
        MESSAGES.get(decline or "", MESSAGES.get(code, "Your card was declined.")),
        code=code,
        decline_code=decline,
        param=param,
        doc_url=f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
    )


def _missing(param: str, id_: str) -> ApiError:
    return ApiError(
        404,
        "invalid_request_error",
        f"No such {param}: '{id_}'",
        param=param,
        code="resource_missing",
    )


def _unrecognised(method: str, path: str) -> ApiError:
    return ApiError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")


def _public(obj: dict) -> dict:
    return {k: _copy(v) for k, v in obj.items() if not k.startswith("_")}


def _copy(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


def _dump(obj: dict) -> bytes:
    return json.dumps(_public(obj), indent=2).encode()


class _Handler(BaseHTTPRequestHandler):
    owner: FakeStripe
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = parse_form(url.query if method != "POST" else body)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path.startswith("/pay/"):  # the hosted page: HTML for a browser, no API key
            session_id = url.path.removeprefix("/pay/")
            if method == "POST":
                status, payload, extra = self.owner.page_post(session_id, params)
            else:
                status, payload, extra = self.owner.page(session_id)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            return
        answer = self.owner.handle(method, url.path, params, headers)
        if answer is None:
            self.close_connection = True
            return
        status, payload, extra = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", new_id("req"))
        self.send_header("Stripe-Version", headers.get("stripe-version", API_VERSION))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
