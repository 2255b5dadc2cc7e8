"""subscription secrets sealed at rest

Revision ID: 0004_ssrf_sealed_secrets
Revises: 0003_erasure

The column `secret` held each subscription's signing secret in plain text. It becomes
`secret_sealed` (text) and every existing secret is sealed in place with the service's key
(shared.sealing: `LAZO_SECRETS_KEY`, or the development key in `LAZO_VAR_DIR`), in the same
transaction: no plaintext secret survives the upgrade.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

revision: str = "0004_ssrf_sealed_secrets"
down_revision: Union[str, Sequence[str], None] = "0003_erasure"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _box():
    from shared.sealing import SecretBox
    from shared.settings import Settings

    return SecretBox.from_settings(context.config.attributes.get("settings") or Settings())


def _rename(old: str, new: str, type_: sa.types.TypeEngine, existing_type: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite renames in place (no table rebuild); its types are loose
        op.execute(f'ALTER TABLE subscriptions RENAME COLUMN "{old}" TO "{new}"')
    else:
        op.alter_column(
            "subscriptions", old, new_column_name=new, type_=type_, existing_type=existing_type, existing_nullable=False
        )


def upgrade() -> None:
    _rename("secret", "secret_sealed", sa.Text(), sa.String(200))
    subs = sa.table("subscriptions", sa.column("id", sa.String), sa.column("secret_sealed", sa.Text))
    rows = op.get_bind().execute(sa.select(subs.c.id, subs.c.secret_sealed)).all()
    if rows:
        box = _box()
        for sub_id, secret in rows:
            op.execute(subs.update().where(subs.c.id == sub_id).values(secret_sealed=box.seal({"secret": secret})))


def downgrade() -> None:
    subs = sa.table("subscriptions", sa.column("id", sa.String), sa.column("secret_sealed", sa.Text))
    rows = op.get_bind().execute(sa.select(subs.c.id, subs.c.secret_sealed)).all()
    if rows:
        box = _box()
        for sub_id, sealed in rows:
            op.execute(subs.update().where(subs.c.id == sub_id).values(secret_sealed=box.open(sealed)["secret"]))
    _rename("secret_sealed", "secret", sa.String(200), sa.Text())
