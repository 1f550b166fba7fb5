"""A stand-in OpenAI-compatible chat completion server: checks requests as a real one would and answers with a
realistic completion whose content is the JSON title and description composed from the user message.

    with openai_server(api_key='sk-test', latency=0.2) as fake:
        ChatClient(ChatConfig(fake.base_url, 'gpt-4o-mini', 'sk-test'))...
        fake.script = [429, 500]   # the next two requests fail so (429 with Retry-After: fake.retry_after)
        fake.down = True           # every request gets 503; 'close' drops the connection instead

`script` may also hold 'not-json' (content that is prose), 'wrong-shape' (JSON without a title), 'length' and
'content_filter' (a completion cut short or withheld) for the next requests.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.fakes.loopback import Received, Reply, serve

PATH = '/v1/chat/completions'
_FACT = re.compile(r'^(Brand|Model|Reference|Year|Calibre|Case|Dial):\s*(.+)$', re.MULTILINE)
_STATUS_TEXT = {400: 'Bad request', 404: 'Not found', 429: 'Rate limit reached for requests', 500: 'Internal error',
                502: 'Bad gateway', 503: 'The server is overloaded', 504: 'Gateway timeout'}  # fmt: skip


@dataclass
class FakeChat:
    """The server's state; tests read `requests` and set `latency`, `script`, `down` and `retry_after`."""

    api_key: str
    latency: float = 0.0
    base_url: str = ''
    script: list[int | str] = field(default_factory=list)
    down: bool | str = False
    retry_after: str = '1'
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: Received) -> Reply | None:
        with self.lock:
            self.requests.append(request)
            step = self.script.pop(0) if self.script else None
        time.sleep(self.latency)
        if self.down:
            return None if self.down == 'close' else _error(503, 'The server is down for maintenance.')
        if isinstance(step, int):
            headers = {'Retry-After': self.retry_after} if step == 429 else {}
            return Reply(step, _error(step, _STATUS_TEXT.get(step, 'Scripted failure')).body, headers)
        if request.path != PATH:
            return _error(404, f'Unknown path {request.path}.')
        if request.headers.get('authorization') != f'Bearer {self.api_key}':
            return _error(401, 'Incorrect API key provided.', 'invalid_api_key')
        problem = _shape_problem(request)
        if problem:
            return _error(400, problem)
        return Reply(200, _completion(request, step, len(self.requests)))


@contextmanager
def openai_server(api_key: str = 'sk-test', latency: float = 0.0) -> Iterator[FakeChat]:
    """A chat completion server on loopback for the duration of the block."""
    fake = FakeChat(api_key=api_key, latency=latency)
    with serve(fake.handle) as base_url:
        fake.base_url = base_url
        yield fake


def _error(status: int, message: str, code: str | None = None) -> Reply:
    kind = 'invalid_request_error' if status < 500 and status != 429 else 'server_error'
    return Reply(status, {'error': {'message': message, 'type': kind, 'param': None, 'code': code}})


def _shape_problem(request: Received) -> str | None:
    """What a real server would refuse with 400: no model, no messages, a message without role or content."""
    if not isinstance(request.get('model'), str) or not request['model']:
        return 'you must provide a model parameter'
    messages = request.get('messages')
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for message in messages:
        if not isinstance(message, dict) or message.get('role') not in ('system', 'user', 'assistant'):
            return 'each message needs a role of system, user or assistant'
        if not isinstance(message.get('content'), str):
            return 'each message needs a string content'
    if not any(message['role'] == 'user' for message in messages):
        return 'at least one user message is required'
    return None


def _completion(request: Received, step: int | str | None, number: int) -> dict:
    user = next(message['content'] for message in request['messages'] if message['role'] == 'user')
    everything = ' '.join(message['content'] for message in request['messages'])
    content = _content(user, 'swedish' in everything.lower())
    if step == 'not-json':
        content = 'Here is a lovely listing for your watch: ' + json.loads(content)['description']
    elif step == 'wrong-shape':
        content = json.dumps({'text': json.loads(content)['description']})
    reason = step if step in ('length', 'content_filter') else 'stop'
    prompt_tokens, completion_tokens = _tokens(everything), _tokens(content)
    return {
        'id': f'chatcmpl-fake{number:06d}',
        'object': 'chat.completion',
        'created': int(time.time()),
        'model': request['model'],
        'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': content}, 'finish_reason': reason}],
        'usage': {
            'prompt_tokens': prompt_tokens,
            'completion_tokens': completion_tokens,
            'total_tokens': prompt_tokens + completion_tokens,
        },
    }


def _content(user: str, swedish: bool) -> str:
    """A JSON title and description built from the "Label: value" facts in the prompt (or its first line)."""
    facts = dict(_FACT.findall(user))
    name = ' '.join(facts[key] for key in ('Brand', 'Model', 'Reference') if key in facts)
    title = f'{name} ({facts["Year"]})' if name and 'Year' in facts else name or user.strip().splitlines()[0][:80]
    details = ' '.join(f'{label}: {value}.' for label, value in facts.items() if label in ('Calibre', 'Case', 'Dial'))
    opening = 'Till salu' if swedish else 'For sale'
    return json.dumps({'title': title, 'description': f'{opening}: {title}. {details}'.strip()}, ensure_ascii=False)


def _tokens(text: str) -> int:
    """Roughly what a tokenizer counts: four tokens for every three words."""
    return max(1, len(text.split()) * 4 // 3)
