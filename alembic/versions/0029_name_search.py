"""names searched by word prefixes through full-text indexes (PostgreSQL)

The header's search and the lists match a name's words by their starts: on PostgreSQL through a
GIN index on `to_tsvector('simple', translate(name, 'Ёё', 'Ее'))` of subscriber.full_name,
partner.name, user_account.full_name and activation_request.customer_name (an exact index answer;
a trigram `ILIKE` rechecked every candidate row, tens of milliseconds for a common surname). The
trigram indexes 0027 put on the last three serve nothing now and go; the subscriber's stays (the
Subscribers search's similarity match).

Revision ID: 0029_name_search
Revises: 0028_sim_policy
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_name_search"
down_revision: str | None = "0028_sim_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES = (
    ("ix_subscriber_full_name_fts", "subscriber", "full_name"),
    ("ix_partner_name_fts", "partner", "name"),
    ("ix_user_account_full_name_fts", "user_account", "full_name"),
    ("ix_activation_request_customer_name_fts", "activation_request", "customer_name"),
)
UNUSED_TRIGRAM = (
    ("ix_partner_name_trgm", "partner", "name"),
    ("ix_user_account_full_name_trgm", "user_account", "full_name"),
    ("ix_activation_request_customer_name_trgm", "activation_request", "customer_name"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column in NAMES:
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin "
            f"(to_tsvector('simple', translate({column}, 'Ёё', 'Ее')))"
        )
    for name, _table, _column in UNUSED_TRIGRAM:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column in UNUSED_TRIGRAM:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
    for name, _table, _column in NAMES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
