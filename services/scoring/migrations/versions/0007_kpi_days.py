"""kpi_days: the KPI tallies per programme, touchpoint and UTC day, kept with the responses;
filled here from the responses already stored

Revision ID: 0007_kpi_days
Revises: 0006_comments
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_kpi_days"
down_revision: Union[str, Sequence[str], None] = "0006_comments"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COUNTS = [
    "scored",
    "not_scored",
    "iec_nano",
    "seg_nunca_mas",
    "seg_funcional",
    "seg_pasivo",
    "seg_wow",
    *[f"dist_{p}" for p in range(1, 11)],
    "promoters",
    "passives",
    "detractors",
    "ces_count",
    "ces_nano",
    "csat_count",
    "csat_nano",
    "csat_satisfied",
]


def upgrade() -> None:
    op.create_table(
        "kpi_days",
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("touchpoint", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in COUNTS[:3]],
        sa.Column("iec_min", sa.Float(), nullable=True),
        sa.Column("iec_max", sa.Float(), nullable=True),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in COUNTS[3:]],
        sa.PrimaryKeyConstraint("program", "touchpoint", "day"),
    )
    op.create_index("ix_kpi_days_day", "kpi_days", ["day"], unique=False)
    op.execute(fill_sql(op.get_bind().dialect.name))


def fill_sql(dialect: str) -> str:
    """The day tallies of the stored responses, as scoring keeps them (domain/kpis.py `day_tallies`)."""
    day = (
        "CAST(submitted_at AT TIME ZONE 'UTC' AS DATE)"
        if dialect == "postgresql"
        else "strftime('%Y-%m-%d', submitted_at)"
    )

    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    def nano(column: str) -> str:
        return f"COALESCE(SUM(CAST(ROUND({column} * 1000000000) AS BIGINT)), 0)"

    bins = ["iec < 2"] + [f"iec >= {p} AND iec < {p + 1}" for p in range(2, 10)] + ["iec >= 10"]
    values = [
        count("status = 'scored'"),
        count("status = 'not_scored'"),
        nano("iec"),
        "MIN(iec)",
        "MAX(iec)",
        *[count(f"segment = '{s}'") for s in ("nunca_mas", "funcional", "pasivo", "wow")],
        *[count(b) for b in bins],
        count("recommend_0_10 >= 9"),
        count("recommend_0_10 BETWEEN 7 AND 8"),
        count("recommend_0_10 <= 6"),
        "COUNT(ces)",
        nano("ces"),
        "COUNT(csat)",
        nano("csat"),
        count("csat >= 4.0"),
    ]
    columns = ["scored", "not_scored", "iec_nano", "iec_min", "iec_max", *COUNTS[3:]]
    return (
        f"INSERT INTO kpi_days (program, touchpoint, day, {', '.join(columns)}) "
        f"SELECT program, COALESCE(touchpoint, ''), {day}, {', '.join(values)} FROM responses "
        f"GROUP BY program, COALESCE(touchpoint, ''), {day}"
    )


def downgrade() -> None:
    op.drop_index("ix_kpi_days_day", table_name="kpi_days")
    op.drop_table("kpi_days")
