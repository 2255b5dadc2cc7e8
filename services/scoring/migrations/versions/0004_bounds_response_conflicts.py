"""bounds: the content digest of each response, and the conflicts of a response id reused with other content

Revision ID: 0004_bounds
Revises: 0003_erasure
Create Date: 2026-11-27 12:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_bounds"
down_revision: Union[str, Sequence[str], None] = "0003_erasure"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("conflicts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("conflict_digest", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("conflict_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("conflict_at")
        batch_op.drop_column("conflict_digest")
        batch_op.drop_column("conflicts")
        batch_op.drop_column("digest")
