"""personal data (152-FZ): versioned legal texts, consent records, account closure requests

Revision ID: 0034_privacy
Revises: 0033_coverage
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0034_privacy"
down_revision: str | None = "0033_coverage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "legal_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doc", _S(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_ru", _S(length=200), nullable=False),
        sa.Column("title_en", _S(length=200), nullable=False),
        sa.Column("body_ru", _S(length=20000), nullable=False),
        sa.Column("body_en", _S(length=20000), nullable=False),
        sa.Column("published_at", _T(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("doc IN ('personal_data', 'terms')", name="ck_legal_text_doc"),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["user_account.id"],
            name=op.f("fk_legal_text_published_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_text")),
        sa.UniqueConstraint("doc", "version", name="uq_legal_text_doc_version"),
    )
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("reference", _S(length=60), nullable=False),
        sa.Column("doc", _S(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accepted_at", _T(), nullable=False),
        sa.Column("source", _S(length=20), nullable=False),
        sa.Column("ip", _S(length=64), nullable=False),
        sa.Column("user_agent", _S(length=120), nullable=False),
        sa.CheckConstraint("doc IN ('personal_data', 'terms')", name="ck_consent_record_doc"),
        sa.CheckConstraint(
            "source IN ('registration', 'sim_order', 'dealer_sale', 'sign_in', 'back_office')",
            name="ck_consent_record_source",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_consent_record_subscriber_id_subscriber"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_consent_record_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_record_user_doc", ["user_id", "doc", "version"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consent_record_reference"), ["reference"])
        batch_op.create_index(batch_op.f("ix_consent_record_subscriber_id"), ["subscriber_id"])
    op.create_table(
        "closure_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("contract_no", _S(length=20), nullable=False),
        sa.Column("status", _S(length=16), nullable=False),
        sa.Column("requested_at", _T(), nullable=False),
        sa.Column("decided_at", _T(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("note", _S(length=500), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'closed', 'withdrawn')", name="ck_closure_request_status"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_closure_request_decided_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_closure_request_subscriber_id_subscriber"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_closure_request_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_request")),
    )
    with op.batch_alter_table("closure_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_request_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_closure_request_requested_at"), ["requested_at"])
        batch_op.create_index(batch_op.f("ix_closure_request_subscriber_id"), ["subscriber_id"])
        batch_op.create_index(
            "uq_closure_request_pending",
            ["subscriber_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    # the built-in role that holds every permission gets the new section's too
    for permission in ("privacy.view", "privacy.edit"):
        op.execute(
            sa.text(
                "INSERT INTO admin_role_permission (role_id, permission)"
                " SELECT id, :permission FROM admin_role WHERE name = 'Superadmin'"
            ).bindparams(permission=permission)
        )


def downgrade() -> None:
    op.execute(
        "DELETE FROM admin_role_permission WHERE permission IN ('privacy.view', 'privacy.edit')"
    )
    op.drop_table("closure_request")
    op.drop_table("consent_record")
    op.drop_table("legal_text")
