"""A health check for load balancers and monitoring: answers without a login."""

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from services import health

router = APIRouter()


@router.get('/health', tags=['operations'])
async def get_health() -> JSONResponse:
    """200 when the database answers, 503 when it does not."""
    ok = await run_in_threadpool(health.database_ok)
    return JSONResponse({'status': 'ok' if ok else 'unavailable', 'database': ok}, status_code=200 if ok else 503)
