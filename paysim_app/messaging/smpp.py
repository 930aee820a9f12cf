"""SMS over SMPP 3.4 to the operator's own SMSC, with smpplib (the only module that imports it).

One SmppSender serves one delivery run: it connects and binds as a transmitter at the first
message, keeps the link bound for the next ones and unbinds on close() (or at the end of a
`with` block). Each message is split by messaging.sms_parts.split; each part is one submit_sm
whose answer is read before the next part goes: a concatenated message carries a 6-octet UDH
(IEI 0x00, 8-bit reference, the same for every part of one message: the outbox row's id
modulo 256) with esm_class 0x40; GSM text goes as data_coding 0 (septets unpacked, one an
octet), anything else as data_coding 8 (UCS-2, UTF-16BE). Every part asks for an SMSC delivery
receipt (registered_delivery 1); reading receipts needs a receiver bind, which this transmitter
does not make.

Failures, as the delivery job needs them (messaging.base):
- the SMSC unreachable, refusing, silent past SMPP_TIMEOUT, throttling us (ESME_RTHROTTLED),
  its queue full (ESME_RMSGQFUL), a system error and any status not named below: TemporaryFailure;
- the link dropped under a bound sender (the SMSC restarted, an idle link cut): reconnected once
  and the part sent again; a second drop in the same message is a TemporaryFailure;
- the bind refused (a wrong system id or password) or the source address refused: a
  TemporaryFailure that names the setting to fix, since a configuration fault must not lose
  messages;
- an invalid destination (ESME_RINVDSTADR, or a number that is not +<digits>): PermanentFailure
  with bounced=True; other destination or permanent errors: PermanentFailure.
Once the SMSC cannot be reached, stays silent past the timeout or refuses the bind, the sender
gives up for the rest of its run: every later message fails at once with the same reason and
waits for the next run, so one run lasts at most one timeout longer than its sends, and an SMSC
is not asked again and again with a wrong password (it may lock the account).
A message whose later part fails after earlier parts were accepted is sent whole again on the
next try, with the same reference (the row's): its first parts may reach the phone twice, as the
same reference and sequence number, which handsets usually keep once.
"""

from __future__ import annotations

import logging
import re
import zlib

from smpplib import client as smpp_client
from smpplib import consts, exceptions, smpp

from paysim_app.messaging.base import PermanentFailure, Sms, TemporaryFailure
from paysim_app.messaging.sms_parts import encode, mask_number, parts_of
from paysim_app.settings import Settings

log = logging.getLogger("paysim.smpp")

STATUS_NAMES = {
    value: name.removeprefix("SMPP_")
    for name, value in vars(consts).items()
    if name.startswith("SMPP_ESME_R")
}

# statuses that say the number itself is wrong: the user is told (bounced)
BOUNCED = {consts.SMPP_ESME_RINVDSTADR}
# statuses that the same message will get again however often it is sent
PERMANENT = {
    consts.SMPP_ESME_RINVDSTTON,
    consts.SMPP_ESME_RINVDSTNPI,
    consts.SMPP_ESME_RX_P_APPN,
    consts.SMPP_ESME_RX_R_APPN,
    consts.SMPP_ESME_RINVMSGLEN,
}
# statuses that a setting causes: temporary, with the setting named
BIND_REFUSED = {
    consts.SMPP_ESME_RINVPASWD: "SMPP_PASSWORD",
    consts.SMPP_ESME_RINVSYSID: "SMPP_SYSTEM_ID",
    consts.SMPP_ESME_RINVSYSTYP: "SMPP_SYSTEM_TYPE",
    consts.SMPP_ESME_RBINDFAIL: "SMPP_SYSTEM_ID and SMPP_PASSWORD",
}
SOURCE_REFUSED = {
    consts.SMPP_ESME_RINVSRCADR,
    consts.SMPP_ESME_RINVSRCTON,
    consts.SMPP_ESME_RINVSRCNPI,
}

E164 = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)
DIGITS = re.compile(r"\+?[0-9]{1,15}", re.ASCII)
ALPHANUMERIC = re.compile(r"[A-Za-z0-9 .\-_&!]{1,11}", re.ASCII)
UDH_CONCAT = b"\x05\x00\x03"  # UDH length 5, IEI 0x00 (concatenation, 8-bit reference), IE length 3


def describe(status: int) -> str:
    name = STATUS_NAMES.get(status, "unknown status")
    text = consts.DESCRIPTIONS.get(status, "")
    return f"{name} 0x{status:02X}" + (f" ({text})" if text else "")


def source_address(addr: str) -> tuple[int, int, str]:
    """(TON, NPI, address) of the sender: a name (up to 11 letters and digits) is alphanumeric;
    '+7...' or 11+ digits is international E.164; fewer digits national."""
    if DIGITS.fullmatch(addr):
        digits = addr.removeprefix("+")
        if addr.startswith("+") or len(digits) >= 11:
            return consts.SMPP_TON_INTL, consts.SMPP_NPI_ISDN, digits
        return consts.SMPP_TON_NATNL, consts.SMPP_NPI_ISDN, digits
    return consts.SMPP_TON_ALNUM, consts.SMPP_NPI_UNK, addr


def source_problem(addr: str) -> str | None:
    """Why SMPP_SOURCE_ADDR cannot be sent (None: it can)."""
    if DIGITS.fullmatch(addr) or ALPHANUMERIC.fullmatch(addr):
        return None
    return (
        f"SMPP_SOURCE_ADDR {addr!r} must be a name of 1-11 Latin letters, digits, spaces or "
        "'.-_&!', or a number of up to 15 digits"
    )


def udh_reference(reference: str) -> int:
    """The 8-bit concatenation reference of a message: its outbox row's id modulo 256 (row ids
    follow each other, so a person's consecutive messages differ), or a hash of another one."""
    return int(reference) % 256 if reference.isdigit() else zlib.crc32(reference.encode()) % 256


class _LinkLost(Exception):
    """The bound link broke under us (reconnect once)."""


class SmppSender:
    """An SMPP 3.4 transmitter (not thread-safe: one per delivery run, used by one thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        *,
        system_type: str = "",
        source_addr: str = "PaySim",
        timeout: float = 10.0,
    ):
        self.host, self.port = host, int(port)
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.source_addr = source_addr
        self.timeout = timeout
        self._client: smpp_client.Client | None = None
        self._gave_up: str | None = None  # why this run sends no more (see the docstring)
        self.binds = 0  # how many times this sender bound (tests read it)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmppSender:
        return cls(
            settings.smpp_host,
            settings.smpp_port,
            settings.smpp_system_id,
            settings.smpp_password,
            system_type=settings.smpp_system_type,
            source_addr=settings.smpp_source_addr,
            timeout=settings.smpp_timeout,
        )

    def __enter__(self) -> SmppSender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ sending

    def send(self, message: Sms) -> list[str]:
        if why := source_problem(self.source_addr):
            raise TemporaryFailure(why)  # a setting to fix; preflight names it too
        if not E164.fullmatch(message.to):
            raise PermanentFailure("not an international number (+7...)", bounced=True)
        coding, parts = parts_of(message)
        pdus = self._pdus(message, coding, parts)
        ids: list[str] = []
        reconnected = False
        while len(ids) < len(pdus):
            bound = self._bound()
            try:
                ids.append(self._submit(bound, pdus[len(ids)]))
            except _LinkLost as exc:
                self._drop()
                if reconnected:
                    raise TemporaryFailure(
                        f"SMSC link dropped twice in one message: {exc}"
                    ) from exc
                log.warning("smpp link dropped (%s); binding again", exc)
                reconnected = True
        log.info(
            "sms sent ref=%s to=%s parts=%d ids=%s",
            message.reference,
            mask_number(message.to),
            len(ids),
            ",".join(ids),
        )
        return ids

    def _pdus(self, message: Sms, coding: int, parts: list[str]) -> list[dict]:
        ton, npi, source = source_address(self.source_addr)
        common = {
            "source_addr_ton": ton,
            "source_addr_npi": npi,
            "source_addr": source,
            "dest_addr_ton": consts.SMPP_TON_INTL,
            "dest_addr_npi": consts.SMPP_NPI_ISDN,
            "destination_addr": message.to.removeprefix("+"),
            "data_coding": coding,
            "registered_delivery": consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
        }
        if len(parts) == 1:
            return [{**common, "esm_class": 0, "short_message": encode(parts[0], coding)}]
        ref = udh_reference(message.reference)
        return [
            {
                **common,
                "esm_class": consts.SMPP_GSMFEAT_UDHI,
                "short_message": UDH_CONCAT + bytes((ref, len(parts), seq)) + encode(part, coding),
            }
            for seq, part in enumerate(parts, start=1)
        ]

    def _submit(self, bound: smpp_client.Client, fields: dict) -> str:
        """One submit_sm and its answer: the SMSC's message id."""
        try:
            pdu = bound.send_message(**fields)
            while True:
                answer = bound.read_pdu()
                if answer.command == "enquire_link":
                    reply = smpp.make_pdu("enquire_link_resp", client=bound)
                    reply.sequence = answer.sequence
                    bound.send_pdu(reply)
                elif answer.command == "unbind":
                    reply = smpp.make_pdu("unbind_resp", client=bound)
                    reply.sequence = answer.sequence
                    bound.send_pdu(reply)
                    raise _LinkLost("the SMSC unbound")
                elif answer.command == "generic_nack" or (
                    answer.command == "submit_sm_resp" and answer.sequence == pdu.sequence
                ):
                    break
                else:
                    log.info("smpp: ignored %s while waiting for submit_sm_resp", answer.command)
        except TimeoutError as exc:
            self._drop()  # a late answer must not be read as the next part's
            raise self._give_up(f"SMSC did not answer in {self.timeout:g} s") from exc
        except (exceptions.ConnectionError, OSError) as exc:
            raise _LinkLost(str(exc) or "connection closed") from exc
        if answer.status != consts.SMPP_ESME_ROK:
            raise self._refusal(answer.status)
        return (answer.message_id or b"").decode("ascii", "replace")

    def _refusal(self, status: int) -> Exception:
        reason = f"SMSC refused the message: {describe(status)}"
        if status in BOUNCED:
            return PermanentFailure(reason, bounced=True)
        if status in PERMANENT:
            return PermanentFailure(reason)
        if status in SOURCE_REFUSED:
            return TemporaryFailure(f"{reason}; check SMPP_SOURCE_ADDR ({self.source_addr!r})")
        if status == consts.SMPP_ESME_RINVBNDSTS:
            self._drop()  # the SMSC no longer thinks we are bound: bind afresh next time
        return TemporaryFailure(reason)

    # ------------------------------------------------------------------ the link

    def bind(self) -> None:
        """Connect and bind now (preflight's check); send() does it by itself."""
        self._bound()

    def _bound(self) -> smpp_client.Client:
        if self._client is not None:
            return self._client
        if self._gave_up:
            raise TemporaryFailure(self._gave_up)
        where = f"{self.host}:{self.port}"
        bound = smpp_client.Client(
            self.host,
            self.port,
            timeout=self.timeout,
            logger_name="paysim.smpp.wire",
            allow_unknown_opt_params=True,
        )
        try:
            bound.connect()
        except exceptions.ConnectionError as exc:
            bound.disconnect()
            cause = exc.__context__ or exc
            raise self._give_up(f"cannot reach the SMSC at {where}: {cause}") from exc
        try:
            bound.bind_transmitter(
                system_id=self.system_id,
                password=self.password,
                system_type=self.system_type,
            )
        except exceptions.PDUError as exc:
            bound.disconnect()
            status = exc.args[1] if len(exc.args) > 1 else consts.SMPP_ESME_RUNKNOWNERR
            if status in BIND_REFUSED:
                raise self._give_up(
                    f"SMSC at {where} refused the bind as {self.system_id!r}: "
                    f"{describe(status)}; check {BIND_REFUSED[status]}"
                ) from exc
            raise TemporaryFailure(f"SMSC at {where} refused the bind: {describe(status)}") from exc
        except (exceptions.ConnectionError, OSError) as exc:
            bound.disconnect()
            raise self._give_up(
                f"SMSC at {where} closed or did not answer the bind in {self.timeout:g} s"
            ) from exc
        self._client = bound
        self.binds += 1
        return bound

    def _give_up(self, reason: str) -> TemporaryFailure:
        """No more sends in this run, for this reason (logged once)."""
        self._gave_up = reason
        log.error("smpp: %s; the run's other messages wait for the next one", reason)
        return TemporaryFailure(reason)

    def _drop(self) -> None:
        """Forget the link without a word (it is broken, or we no longer trust it)."""
        if self._client is not None:
            self._client.disconnect()
            self._client = None

    def close(self) -> None:
        """Unbind and disconnect (a broken link is just closed)."""
        if self._client is None:
            return
        try:
            self._client.unbind()
        except (exceptions.PDUError, exceptions.ConnectionError, OSError) as exc:
            log.info("smpp: unbind not answered (%s)", exc or type(exc).__name__)
        self._drop()
