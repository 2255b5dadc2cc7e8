from shared.db import run_alembic_env
from services.surveys.models import Base

run_alembic_env(Base.metadata)
