"""The interactive documentation at /api/docs, served entirely from this process: the machines it runs on have no
internet, so Swagger UI's script and style come from the pinned `fastapi-offline` wheel, not from a CDN."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / 'static'
ASSETS_PATH = '/docs/assets'

router = APIRouter(include_in_schema=False)


@router.get('/docs')
async def docs(request: Request) -> HTMLResponse:
    base = request.scope.get('root_path', '')
    return get_swagger_ui_html(
        openapi_url=f'{base}/openapi.json',
        title='SecondVintage API',
        swagger_js_url=f'{base}{ASSETS_PATH}/swagger-ui-bundle.js',
        swagger_css_url=f'{base}{ASSETS_PATH}/swagger-ui.css',
        swagger_favicon_url='/favicon.ico',
        swagger_ui_parameters={'persistAuthorization': True, 'validatorUrl': None},
    )


def assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS)
