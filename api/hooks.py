"""Inbound webhooks: calls from other services that carry no token, only a signature over what they send.

`POST /api/v1/hooks/make` takes a Make.com scenario's answer to a description request (docs/integrations.md 4b).
The body is read up to `MAX_CALLBACK_BYTES` and refused beyond it before more is read; the signature, the
request id and the storing are the descriptions service's, run off the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.problems import problem
from services import descriptions
from services.errors import Conflict, NotFound
from services.integrations.make import MAX_CALLBACK_BYTES, CallbackRefused

router = APIRouter(prefix='/hooks', tags=['webhooks'])
TOO_LARGE = f'The body is larger than {MAX_CALLBACK_BYTES // 1024} KB.'


@router.post(
    '/make',
    status_code=204,
    response_class=Response,
    responses={
        204: {'description': 'The text is stored (or was already).'},
        400: {'description': 'The body is not the JSON callback expected.'},
        401: {'description': 'The signature is missing or wrong, or the timestamp is more than 5 minutes off.'},
        404: {'description': 'No description request has this id.'},
        409: {'description': 'The request has failed or expired; it no longer takes an answer.'},
        413: {'description': 'The body is larger than 64 KB.'},
    },
)
async def make_callback(request: Request) -> Response:
    """A Make.com scenario's answer, signed `X-Signature: sha256=<hex>` over `"{X-Timestamp}." + body`."""
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) > MAX_CALLBACK_BYTES:
        return problem(413, TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_CALLBACK_BYTES:
            return problem(413, TOO_LARGE)
    timestamp, signature = request.headers.get('x-timestamp'), request.headers.get('x-signature')
    try:
        await run_in_threadpool(descriptions.receive_make_callback, timestamp, signature, bytes(body))
    except CallbackRefused as refused:
        return problem(refused.status_code, str(refused))
    except NotFound as error:
        return problem(404, str(error))
    except Conflict as error:
        return problem(409, str(error))
    return Response(status_code=204)
