"""The API as its own FastAPI application, mounted at /api on NiceGUI's.

Its own application, not routes on NiceGUI's: the catch-all root page of the UI answers every address no route
claimed, so the API's unknown addresses, its refusals and its documentation must be answered here, as problem+json.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api import docs, health, hooks, images, jobs, ledger, me, places, problems, watches

VERSION = '1'
DESCRIPTION = """
The SecondVintage CRM over HTTP, for scripts and integrations.

Every request carries a personal access token (My account, *API tokens*) as `Authorization: Bearer svpat_...`.
The token acts as its owner, with exactly the permissions and the watches that person has on screen; a `read`
token is refused every change (403). Refusals are `application/problem+json` with a `detail` sentence and, for
bad input, `errors` per field. Each token may make a limited number of requests a minute; beyond it the answer is
429 with `Retry-After`.
"""


def build() -> FastAPI:
    """A fresh application (the tests assemble the app anew for each test)."""
    app = FastAPI(
        title='SecondVintage API',
        version=VERSION,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url='/openapi.json',
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS_PATH, docs.assets(), name='docs-assets')
    v1 = APIRouter(prefix='/v1')
    for module in (me, watches, images, places, jobs, ledger, hooks):
        v1.include_router(module.router)
    app.include_router(v1)
    return app
