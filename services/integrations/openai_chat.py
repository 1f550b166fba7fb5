"""A client for OpenAI-compatible chat completion servers (OpenAI, OpenRouter, vLLM, Ollama) writing listing texts.

One `ChatClient` holds one `httpx.Client`, so the connection is kept alive between texts and worker threads
may share it. It asks for a JSON object `{"title", "description"}` and refuses, in one sentence for the person
reading the job's errors, anything else: a refused key, an unknown model, a reply cut short or filtered, a reply
that is not that JSON. Busy servers (429) and server errors (5xx) are retried with exponential backoff that
honours Retry-After, capped so one text never waits minutes; a timeout is not retried here (it already cost
the whole timeout) but is reported as retryable so a batch can try it again later.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.integrations import writer
from services.integrations.ai import LANGUAGES, Draft, ProviderError, Usage, WatchFacts

PROMPT_LANGUAGES = {'en': 'English', 'sv': 'Swedish'}
PLACEHOLDERS = ('brand', 'model', 'reference', 'calibre', 'movement', 'year', 'case', 'dial', 'strap', 'condition',
                'box_papers', 'service', 'language', 'facts')  # fmt: skip
DEFAULT_TEMPLATE = (
    'Write a listing for a pre-owned watch in {language}.\n'
    'Give a short title (brand, model, reference, year) and a description of two to four short paragraphs:\n'
    'the model and its background, the case, dial and movement, the condition, and what comes with it.\n'
    'Use only these facts:\n{facts}'
)
SYSTEM_MESSAGE = (
    'You write listings for a dealer in pre-owned watches. Answer with one JSON object and nothing else: '
    '{"title": "...", "description": "..."}. The title is at most 120 characters; the description is plain text, '
    'paragraphs separated by a blank line, no markdown. State only the facts you are given: never guess a year, '
    'a box, papers or a service that is not listed. Write in {language}.'
)
MAX_TOKENS = 800
MAX_WAIT_SECONDS = 30.0  # the longest pause between attempts, whatever Retry-After asks for
TITLE_MAX = 200
BODY_MAX = 10_000
_PLACEHOLDER = re.compile(r'\{(\w+)\}')
_FENCE = re.compile(r'^```(?:json)?\s*(.*?)\s*```$', re.DOTALL)
UNKNOWN = 'unknown'


@dataclass(frozen=True)
class ChatConfig:
    """Where and how to ask; `backoff_seconds` is the first pause between attempts (doubled each time)."""

    base_url: str
    model: str
    api_key: str
    prompt_template: str = DEFAULT_TEMPLATE
    timeout_seconds: float = 30
    max_retries: int = 3
    temperature: float = 0.4
    backoff_seconds: float = 0.5


class ChatClient:
    """Texts from one chat completion server; close it (or use it as a context manager) when done."""

    def __init__(self, config: ChatConfig) -> None:
        check_template(config.prompt_template)
        self.config = config
        self.host = urlsplit(config.base_url).netloc or config.base_url
        self.url = f'{config.base_url.rstrip("/")}/v1/chat/completions'
        self.http = httpx.Client(
            timeout=config.timeout_seconds,
            headers={'Authorization': f'Bearer {config.api_key}', 'Content-Type': 'application/json'},
        )

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def describe(self, facts: WatchFacts, language: str) -> tuple[Draft, Usage]:
        """A title and text for the watch in `language`, and the tokens the server counted for it."""
        if language not in LANGUAGES:
            raise ValueError(f'Unknown language "{language}".')
        reply = self._post(self._body(facts, language))
        return _draft(reply, language, self.host), _usage(reply)

    def _body(self, facts: WatchFacts, language: str) -> dict[str, Any]:
        system = SYSTEM_MESSAGE.replace('{language}', PROMPT_LANGUAGES[language])
        return {
            'model': self.config.model,
            'messages': [
                {'role': 'system', 'content': system},
                {'role': 'user', 'content': render_prompt(self.config.prompt_template, facts, language)},
            ],
            'temperature': self.config.temperature,
            'max_tokens': MAX_TOKENS,
            'response_format': {'type': 'json_object'},
        }

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """The server's JSON reply, after retrying what may pass; otherwise a ProviderError."""
        attempts = self.config.max_retries + 1
        for attempt in range(attempts):
            try:
                response = self.http.post(self.url, json=body)
            except httpx.TimeoutException:
                raise ProviderError(
                    f'The AI provider at {self.host} did not answer within {self.config.timeout_seconds:g} s.',
                    retryable=True,
                ) from None
            except httpx.TransportError as error:
                reached = f'The AI provider at {self.host} could not be reached ({_reason(error)}).'
                failure = ProviderError(reached, retryable=True)
                wait = None
            else:
                if response.is_success:
                    return _json(response, self.host)
                failure = _refusal(response, self.host, self.config.model)
                wait = retry_after(response.headers.get('retry-after'), time.time())
            if not failure.retryable:
                raise failure
            if attempt < attempts - 1:
                pause = wait if wait is not None else self.config.backoff_seconds * 2**attempt
                time.sleep(min(pause, MAX_WAIT_SECONDS))
        if attempts > 1:
            raise ProviderError(f'{str(failure)[:-1]}; gave up after {attempts} attempts.', retryable=True)
        raise failure


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a Retry-After header asks us to wait (delta seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def check_template(template: str) -> str:
    """The template when every {placeholder} in it is known; otherwise ValueError naming the first unknown one."""
    for name in _PLACEHOLDER.findall(template):
        if name not in PLACEHOLDERS:
            known = ', '.join(f'{{{known}}}' for known in PLACEHOLDERS)
            raise ValueError(f'The prompt uses an unknown placeholder {{{name}}}; the known ones are {known}.')
    if not template.strip():
        raise ValueError('Write a prompt: the AI provider needs to be told what to write.')
    return template


def render_prompt(template: str, facts: WatchFacts, language: str) -> str:
    """The template with each placeholder replaced by the watch's fact ("unknown" when the record has none)."""
    values = placeholder_values(facts, language)
    return _PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), check_template(template))


def placeholder_values(facts: WatchFacts, language: str) -> dict[str, str]:
    """What each placeholder stands for, in English (the language the model is told to answer in is {language})."""
    values = {
        'brand': facts.brand,
        'model': facts.model,
        'reference': facts.reference,
        'calibre': facts.calibre,
        'movement': writer.movement_words(facts, 'en'),
        'year': writer.when(facts, 'en'),
        'case': writer.case_words(facts, 'en'),
        'dial': facts.dial,
        'strap': facts.strap,
        'condition': _condition(facts),
        'box_papers': writer.box_papers_words(facts, 'en'),
        'service': '; '.join(facts.service_history) or None,
        'language': PROMPT_LANGUAGES[language],
    }
    values['facts'] = fact_lines(facts, values)
    return {name: value or UNKNOWN for name, value in values.items()}


def fact_lines(facts: WatchFacts, values: dict[str, str | None]) -> str:
    """Every known fact as a "Label: value" line, for {facts}."""
    rows = [('Brand', values['brand']), ('Model', values['model']), ('Reference', values['reference']),
            ('Calibre', values['calibre']), ('Movement', values['movement']), ('Year', values['year']),
            ('Case', values['case']), ('Dial', values['dial']), ('Strap or bracelet', values['strap']),
            ('Worn by', facts.gender), ('Condition', values['condition']), ('Box and papers', values['box_papers']),
            ('Service history', values['service']), ('About the brand', facts.brand_background),
            ('About the model', facts.model_background), ('Stock number', facts.sku)]  # fmt: skip
    return '\n'.join(f'{label}: {value}' for label, value in rows if value)


def _condition(facts: WatchFacts) -> str | None:
    parts = [f'overall {writer.grade_words(facts.overall_grade, "en")}'] if facts.overall_grade else []
    return '; '.join(parts + writer.condition_lines(facts, 'en')) or None


# --- reading replies ---------------------------------------------------------------------------------------------


def _refusal(response: httpx.Response, host: str, model: str) -> ProviderError:
    """The sentence for a non-2xx answer; 429 and 5xx are retryable."""
    status, said = response.status_code, _error_message(response)
    detail = f': {said}' if said else ''
    if status == 429:
        return ProviderError(f'The AI provider at {host} is busy (429, too many requests){detail}.', retryable=True)
    if status >= 500:
        return ProviderError(f'The AI provider at {host} failed ({status}){detail}.', retryable=True)
    sentences = {
        400: f'The AI provider at {host} refused the request (400){detail}.',
        401: f'The AI provider at {host} refused the API key (401){detail}; check the key in the settings.',
        403: f'The AI provider at {host} does not allow this key to use the model "{model}" (403){detail}.',
        404: f'The AI provider at {host} knows no model "{model}" or no chat completions address (404){detail}.',
    }
    return ProviderError(sentences.get(status, f'The AI provider at {host} refused the request ({status}){detail}.'))


def _error_message(response: httpx.Response) -> str:
    """The server's own `{"error": {"message"}}`, shortened and without its final full stop."""
    try:
        error = response.json().get('error')
    except (ValueError, AttributeError):
        return ''
    message = error.get('message') if isinstance(error, dict) else error
    return str(message or '').strip().rstrip('.')[:200]


def _json(response: httpx.Response, host: str) -> dict[str, Any]:
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise ProviderError(f'The AI provider at {host} answered something that is not a chat completion.')
    return reply


def _draft(reply: dict[str, Any], language: str, host: str) -> Draft:
    """The title and description in the first choice, refused when cut short, filtered or not the JSON asked for."""
    try:
        choice = reply['choices'][0]
        content = choice['message']['content'] or ''
    except (KeyError, IndexError, TypeError):
        raise ProviderError(f'The AI provider at {host} answered something that is not a chat completion.') from None
    reason = choice.get('finish_reason')
    if reason == 'length':
        raise ProviderError(f'The AI provider at {host} stopped before the text was complete (its token limit).')
    if reason == 'content_filter':
        raise ProviderError(f'The AI provider at {host} withheld the text (its content filter).')
    fenced = _FENCE.match(content.strip())
    try:
        text = json.loads(fenced[1] if fenced else content)
        title, body = str(text['title']).strip(), str(text['description']).strip()
    except (ValueError, KeyError, TypeError):
        raise ProviderError(
            f'The AI provider at {host} did not answer with the JSON title and description asked for.'
        ) from None
    if not title or not body or len(title) > TITLE_MAX or len(body) > BODY_MAX:
        raise ProviderError(
            f'The AI provider at {host} gave an empty or too long text (title up to {TITLE_MAX}, '
            f'description up to {BODY_MAX:,} characters).'
        )
    return Draft(language=language, title=title, body=body)


def _usage(reply: dict[str, Any]) -> Usage:
    usage = reply.get('usage') if isinstance(reply.get('usage'), dict) else {}
    return Usage(int(usage.get('prompt_tokens') or 0), int(usage.get('completion_tokens') or 0))


def _reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        return 'connection refused' if 'refused' in str(error).lower() else 'no connection'
    return 'the connection broke'
