"""The REST API and inbound webhooks (FastAPI routers on NiceGUI's app)."""

from fastapi import FastAPI

from api import health


def register(app: FastAPI) -> None:
    app.include_router(health.router)
