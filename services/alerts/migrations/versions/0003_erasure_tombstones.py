"""erasure: tombstones and events erased on arrival

Revision ID: 0003_erasure
Revises: 0002
Create Date: 2026-11-27 12:40:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_erasure"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Tombstones: erased customers as a keyed digest of their id (shared.tombstones), and the events
    # about them erased on arrival.
    op.create_table(
        "erased_customers",
        sa.Column("customer_digest", sa.String(length=64), nullable=False),
        sa.Column("first_erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_digest"),
    )
    op.create_table(
        "erased_on_arrival",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("erased_on_arrival")
    op.drop_table("erased_customers")
