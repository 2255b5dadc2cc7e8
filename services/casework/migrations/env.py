from shared.db import run_alembic_env
from services.casework.models import Base

run_alembic_env(Base.metadata)
