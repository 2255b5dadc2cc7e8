"""Write a service's next Alembic revision by comparing its models with its migrated schema.

python -m ops.makemigration <service> "<message>"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine


def main(service: str, message: str) -> None:
    migrations = Path("services") / service / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    next_id = f"{len(list(ScriptDirectory.from_config(cfg).walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/schema.db")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True, rev_id=next_id)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
