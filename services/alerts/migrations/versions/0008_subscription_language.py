"""chat subscriptions gain a language: the words of their Slack or Teams messages (en or es)

Revision ID: 0008_subscription_language
Revises: 0007_subscription_format
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_subscription_language"
down_revision: Union[str, Sequence[str], None] = "0007_subscription_format"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("language", sa.String(2), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("language")
