"""the header's search over everything: trigram and full-text indexes (PostgreSQL), payments by
the card's last four digits

PostgreSQL: GIN trigram indexes behind "any part of" a subscriber's contract, phone, e-mail and
passport number, a partner's and an admin's name, a ticket's subject, a request's customer
name and an audit entry's action, object and id; GIN
full-text indexes (`to_tsvector('russian', ...)`: Russian stemming for Cyrillic words, English
for Latin ones) on ticket subjects and messages. Both databases: a partial index on
payment.card_last4.

Revision ID: 0027_global_search
Revises: 0026_usage_day
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_global_search"
down_revision: str | None = "0026_usage_day"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM = (
    ("ix_subscriber_contract_no_trgm", "subscriber", "contract_no"),
    ("ix_subscriber_phone_trgm", "subscriber", "phone"),
    ("ix_subscriber_email_trgm", "subscriber", "email"),
    ("ix_subscriber_document_no_trgm", "subscriber", "document_no"),
    ("ix_activation_request_customer_name_trgm", "activation_request", "customer_name"),
    ("ix_partner_name_trgm", "partner", "name"),
    ("ix_ticket_subject_trgm", "ticket", "subject"),
    ("ix_user_account_full_name_trgm", "user_account", "full_name"),
    ("ix_audit_log_action_trgm", "audit_log", "action"),
    ("ix_audit_log_entity_trgm", "audit_log", "entity"),
    ("ix_audit_log_entity_id_trgm", "audit_log", "entity_id"),
)
FULL_TEXT = (
    ("ix_ticket_subject_fts", "ticket", "subject"),
    ("ix_ticket_message_body_fts", "ticket_message", "body"),
)


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_card_last4",
            ["card_last4"],
            unique=False,
            postgresql_where=sa.text("card_last4 <> ''"),
            sqlite_where=sa.text("card_last4 <> ''"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
        for name, table, column in FULL_TEXT:
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gin (to_tsvector('russian', {column}))"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in (*FULL_TEXT, *TRIGRAM):
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_card_last4")
