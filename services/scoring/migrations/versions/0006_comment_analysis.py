"""comment analysis: each response's analysis and emotion, its causes, taxonomies per programme,
re-analysis jobs

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
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("comment_analysis", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("emotion", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("taxonomy_version", sa.Integer(), nullable=True))
    op.create_table(
        "response_causes",
        sa.Column("response_id", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("polarity", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("response_id", "key"),
    )
    op.create_index("ix_response_causes_key", "response_causes", ["key"], unique=False)
    op.create_table(
        "taxonomies",
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("program"),
    )
    op.create_table(
        "reanalysis_jobs",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("after", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("job_id"),
    )
    op.create_index("ix_reanalysis_jobs_status", "reanalysis_jobs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reanalysis_jobs_status", table_name="reanalysis_jobs")
    op.drop_table("reanalysis_jobs")
    op.drop_table("taxonomies")
    op.drop_index("ix_response_causes_key", table_name="response_causes")
    op.drop_table("response_causes")
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("taxonomy_version")
        batch.drop_column("emotion")
        batch.drop_column("comment_analysis")
