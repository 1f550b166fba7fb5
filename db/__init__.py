"""Database layer: engine and sessions, SQLModel tables (one module per area) and Alembic migrations."""
