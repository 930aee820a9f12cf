"""Every setting, read once from the environment, with safe embedded defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # SQLite file by default; PostgreSQL as postgresql+psycopg://user@host/db
    database_url: str = Field(default=f"sqlite:///{ROOT / 'data' / 'paysim.db'}")
    # Optional: a PostgreSQL replica (a hot standby, or a role that may only SELECT) that list
    # pages read from (db.session_scope(read_only=True)); writes and money reads stay on the
    # primary. Empty: everything reads the primary
    database_replica_url: str | None = None
    # Optional: Reflex's state manager when several backend workers run.
    redis_url: str | None = None
    # PostgreSQL connections per backend process (pool + overflow); every worker has its own,
    # so workers x (size + overflow) must stay below the server's max_connections
    paysim_db_pool_size: int = 5
    paysim_db_pool_overflow: int = 10

    paysim_demo: bool = False
    paysim_gateway: str = "sandbox"  # sandbox | stripe
    paysim_public_url: str = "http://localhost:3000"
    paysim_attachments_dir: str = str(ROOT / "data" / "attachments")  # support screenshots
    paysim_timezone: str = "Europe/Moscow"
    # a sign-in ends after this long, or after this long without an event (idle); staff's are
    # shorter: an unattended back-office screen is the costlier one to leave open
    paysim_session_days: int = Field(default=30, ge=1)
    paysim_idle_days: int = Field(default=14, ge=1)
    paysim_staff_session_hours: int = Field(default=12, ge=1)
    paysim_staff_idle_minutes: int = Field(default=30, ge=6)
    paysim_reset_minutes: int = 30
    paysim_rate_limits: str = ""  # overrides of core.rate_limits.RULES: "name=5/hour;..."
    paysim_bcrypt_rounds: int = 12
    paysim_scheduler: bool = True
    # the scheduler's database lease: valid this long, renewed every tick (tick < lease / 2);
    # a dead leader's jobs move to another worker within lease + tick seconds
    paysim_scheduler_lease_seconds: int = Field(default=40, ge=2)
    paysim_scheduler_tick_seconds: int = Field(default=10, ge=1)
    # billing's pause per second of work between batches: 2.0 = at most a third of a core, so
    # web requests beside it stay fast (how the default was chosen: bench/README.md, "Pacing")
    paysim_billing_pace: float = Field(default=2.0, ge=0)
    # the billing's and the import's pauses scaled by the machine's CPU and IO stall (Linux's
    # pressure stall information, core.pacing): none while nobody waits for the machine. Off:
    # always the whole pause, e.g. where the web runs on other machines than the jobs
    paysim_pace_by_pressure: bool = True
    # PostgreSQL: a SIM import with more new SIMs than this commits them in chunks of this
    # many file lines (sims.importing.apply._apply_in_chunks); 0 = always one transaction
    paysim_import_chunk_rows: int = Field(default=5_000, ge=0)
    # the pause per second of work between those chunks and between the checks' statements, so
    # the web workers beside an import keep their CPU (bench/README.md, "Pacing")
    # 0.25 (bench/README.md, "The import's pace measured again"): pausing longer made the
    # import slower, not the web beside it faster
    paysim_import_pace: float = Field(default=0.25, ge=0)
    # a job that wrote 10 000+ rows of a table vacuums and analyses it (core.maintenance)
    paysim_tidy_after_jobs: bool = True
    # 0: the billing cycle runs hourly at :05; N > 0: every N seconds (tests, staging)
    paysim_scheduler_billing_seconds: int = Field(default=0, ge=0)
    # signs short-lived links (CSV exports); production must set its own long random value
    paysim_secret_key: str = "paysim-demo-secret-change-me"

    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # tests point the SDK at a local fake server

    # receipts (billing.receipts): the seller a cash receipt names, its VAT rate, and the online
    # cash register (54-ФЗ) that registers them: "sandbox" (no network) or "atol" (ATOL Online v4)
    paysim_seller_name: str = "ООО «ПэйСим» (демо)"
    paysim_seller_inn: str = "7701234560"  # a demo INN (valid check digit, nobody's)
    paysim_seller_email: str = "receipts@paysim.local"
    paysim_seller_address: str = "г. Москва, ул. Демонстрационная, д. 1"
    paysim_payment_address: str = ""  # place of settlement; empty: PAYSIM_PUBLIC_URL
    paysim_tax_system: Literal["osn", "usn_income", "usn_income_outcome", "esn", "patent"] = "osn"
    paysim_vat: Literal["none", "0", "5", "7", "10", "20", "22"] = "22"
    paysim_fiscal_provider: Literal["sandbox", "atol"] = "sandbox"
    atol_api_base: str = "https://online.atol.ru/possystem"
    atol_login: str = ""
    atol_password: str = ""
    atol_group_code: str = ""

    # e-mail out (messaging.smtp). Empty SMTP_HOST: e-mails wait in the outbox table (in demo
    # mode they are written to the log and marked sent there). SMTP_SECURITY: starttls (587),
    # tls (implicit TLS, 465) or none (a local relay or mail catcher); AUTH when SMTP_USER is set
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "PaySim <noreply@paysim.local>"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    smtp_ca_file: str = ""  # PEM of a private CA that signed the relay's certificate
    # the outbox's delivery (messaging.delivery): tries per message before it is failed (with
    # backoff 1, 5, 15, 60 min, then every 3 h), messages per run, and how long a worker's
    # claim on a message lasts (a worker that dies leaves it due again after this)
    paysim_delivery_attempts: int = Field(default=8, ge=1)
    paysim_delivery_batch: int = Field(default=100, ge=1)
    paysim_delivery_claim_seconds: int = Field(default=300, ge=30)
    paysim_delivery_seconds: int = Field(default=15, ge=1)  # how often the job runs

    # text messages (messaging.sms): "sandbox" sends nothing (the log, whole in demo mode), "smpp"
    # binds as a transmitter to the operator's SMSC (SMPP 3.4; messaging.smpp)
    paysim_sms_provider: Literal["sandbox", "smpp"] = "sandbox"
    smpp_host: str = ""
    smpp_port: int = Field(default=2775, ge=1, le=65535)
    smpp_system_id: str = ""  # at most 15 characters (SMPP 3.4)
    smpp_password: str = ""  # at most 8 characters (SMPP 3.4)
    smpp_system_type: str = ""
    # the sender shown on the phone: a name of up to 11 letters and digits, or a number
    smpp_source_addr: str = "PaySim"
    smpp_timeout: float = Field(default=10.0, gt=0)  # seconds for connect and each answer

    # the usage feed (sims.usage, POST /api/usage): a bearer token per mediation sender as
    # "sender=token;sender2=token2" (empty: the endpoint is closed), records per call, body bytes
    paysim_usage_tokens: str = ""
    paysim_usage_max_records: int = Field(default=10_000, ge=1)
    paysim_usage_max_body: int = Field(default=20 * 1024 * 1024, ge=1024)
    # days of hourly usage kept (the tidy job sweeps older hours; two billing periods are needed
    # for the allowance's night rules); the daily sums are kept 13 months
    paysim_usage_keep_hours_days: int = Field(default=70, ge=35)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
