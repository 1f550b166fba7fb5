"""The REST API and inbound webhooks, mounted at /api on NiceGUI's app (see `api.application`)."""

from fastapi import FastAPI

from api import application


def register(app: FastAPI) -> None:
    app.mount('/api', application.build())
