"""comment analysis: alerts carry the comment's analysis; rules select on emotions, causes and
a comment that contradicts the score

Revision ID: 0006_comments
Revises: 0005_relay
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_comments"
down_revision: Union[str, Sequence[str], None] = "0005_relay"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("comment_analysis", sa.JSON(), nullable=True))
    with op.batch_alter_table("alert_rules") as batch:
        batch.add_column(sa.Column("emotions", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("causes", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("contradiction_selects", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_column("contradiction_selects")
        batch.drop_column("causes")
        batch.drop_column("emotions")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("comment_analysis")
