"""subscriptions gain a format: cloudevents (the signed push, as before), slack or teams

Revision ID: 0007_subscription_format
Revises: 0006_comments

Existing subscriptions are CloudEvents pushes, as they always were.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_subscription_format"
down_revision: Union[str, Sequence[str], None] = "0006_comments"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("format", sa.String(16), nullable=False, server_default="cloudevents"))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("format")
