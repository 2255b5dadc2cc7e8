"""ces csat: CES and CSAT kept per response for the KPIs; touchpoint indexes carrying the IEC

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 17:57:52.084829

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Each measure's own scale (services/scoring/domain/measures.py), frozen here as this revision knew it.
TARGETS = {"ces": (1.0, 7.0), "csat": (1.0, 5.0)}


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ces", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("csat", sa.Float(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_responses_touchpoint_submitted"))
        batch_op.create_index(
            "ix_responses_program_touchpoint_submitted_iec",
            ["program", "touchpoint", "submitted_at", "iec"],
            unique=False,
        )
        batch_op.create_index(
            "ix_responses_touchpoint_submitted_iec", ["touchpoint", "submitted_at", "iec"], unique=False
        )
    _backfill()


def _backfill() -> None:
    """Responses stored before this revision keep their answers: map their `ces`/`csat` onto the
    measures' scales under their programme's current question scales, in the database."""
    bind = op.get_bind()
    programs = sa.table("programs", sa.column("name", sa.String), sa.column("definition", sa.JSON))
    responses = sa.table(
        "responses",
        sa.column("program", sa.String),
        sa.column("answers", sa.JSON),
        sa.column("ces", sa.Float),
        sa.column("csat", sa.Float),
    )
    for name, definition in bind.execute(sa.select(programs.c.name, programs.c.definition)).all():
        for question in definition.get("questions", []):
            target = TARGETS.get(question.get("key"))
            if target is None:
                continue
            scale = question.get("scale") or {}
            lo, hi = float(scale.get("min", 1)), float(scale.get("max", 10))
            answer = responses.c.answers[question["key"]].as_float()
            bind.execute(
                sa.update(responses)
                .where(responses.c.program == name, answer.between(lo, hi))
                .values({question["key"]: target[0] + (target[1] - target[0]) * (answer - lo) / (hi - lo)})
            )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_touchpoint_submitted_iec")
        batch_op.drop_index("ix_responses_program_touchpoint_submitted_iec")
        batch_op.create_index(
            batch_op.f("ix_responses_touchpoint_submitted"), ["touchpoint", "submitted_at"], unique=False
        )
        batch_op.drop_column("csat")
        batch_op.drop_column("ces")
