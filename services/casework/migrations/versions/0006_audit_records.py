"""audit records: reads of personal data and changes, from every service (lazo.audit.v1)

Revision ID: 0006_audit
Revises: 0005_comments
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_audit"
down_revision: Union[str, Sequence[str], None] = "0005_comments"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("customer_digests", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    op.create_index("ix_audit_records_at", "audit_records", ["at"], unique=False)
    op.create_index("ix_audit_records_actor_at", "audit_records", ["actor", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_records_actor_at", table_name="audit_records")
    op.drop_index("ix_audit_records_at", table_name="audit_records")
    op.drop_table("audit_records")
