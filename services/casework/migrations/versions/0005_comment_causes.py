"""comment analysis: a case's suggested causes, the key the agent chose, and whether it kept one

Revision ID: 0005_comments
Revises: 0004_relay
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_comments"
down_revision: Union[str, Sequence[str], None] = "0004_relay"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("suggested_causes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("cause_key", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("suggestion_kept", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("suggestion_kept")
        batch.drop_column("cause_key")
        batch.drop_column("suggested_causes")
