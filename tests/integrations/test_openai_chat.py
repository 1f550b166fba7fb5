"""The OpenAI-compatible client against the stand-in server over real HTTP: what it sends, what it refuses,
how it retries."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

import pytest

from services.integrations.ai import ProviderError, WatchFacts
from services.integrations.openai_chat import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    ChatClient,
    ChatConfig,
    check_template,
    render_prompt,
    retry_after,
)
from tests.fakes.openai_server import openai_server

FACTS = WatchFacts(
    sku='W-000123',
    brand='Omega',
    model='Seamaster',
    reference='166.010',
    calibre='Omega 565',
    movement='automatic',
    year=1968,
    case_material='stainless steel',
    case_diameter_mm=34.0,
    overall_grade='B',
    box=True,
)


def _client(base_url: str, **options) -> ChatClient:
    options = {'backoff_seconds': 0.01, **options}
    return ChatClient(
        ChatConfig(base_url=base_url, model='gpt-4o-mini', api_key=options.pop('key', 'sk-test'), **options)
    )


def _refusal(client: ChatClient, language: str = 'en') -> ProviderError:
    with client, pytest.raises(ProviderError) as refused:
        client.describe(FACTS, language)
    return refused.value


# --- the request and the reply -----------------------------------------------------------------------------------


def test_a_text_is_asked_for_as_json_with_the_facts_and_comes_back_with_its_token_counts():
    with openai_server() as fake, _client(fake.base_url, temperature=0.2) as client:
        draft, usage = client.describe(FACTS, 'sv')
    [sent] = fake.requests
    assert sent.path == '/v1/chat/completions' and sent.headers['authorization'] == 'Bearer sk-test'
    assert sent['model'] == 'gpt-4o-mini' and sent['temperature'] == 0.2
    assert sent['response_format'] == {'type': 'json_object'}
    system, user = sent['messages']
    assert system['role'] == 'system' and '"title"' in system['content'] and 'Swedish' in system['content']
    assert user['role'] == 'user' and 'Reference: 166.010' in user['content'] and 'Year: 1968' in user['content']
    assert draft.language == 'sv' and draft.title == 'Omega Seamaster 166.010 (1968)'
    assert draft.body.startswith('Till salu')
    assert usage.prompt_tokens > 50 and usage.completion_tokens > 5


def test_one_client_serves_many_worker_threads_at_once():
    with openai_server(latency=0.05) as fake, _client(fake.base_url) as client, ThreadPoolExecutor(8) as pool:
        drafts = list(pool.map(lambda _: client.describe(FACTS, 'en')[0], range(24)))
    assert len(drafts) == 24 and len(fake.requests) == 24


def test_the_prompt_fills_every_placeholder_and_lists_only_known_facts():
    template = ' '.join(f'{name}=[{{{name}}}]' for name in PLACEHOLDERS) + ' {"title": "..."}'
    prompt = render_prompt(template, FACTS, 'en')
    assert 'brand=[Omega]' in prompt and 'year=[1968]' in prompt and 'case=[34 mm, stainless steel]' in prompt
    assert 'condition=[overall very good (B)]' in prompt and 'box_papers=[with the box]' in prompt
    assert 'dial=[unknown]' in prompt and 'service=[unknown]' in prompt and 'language=[English]' in prompt
    assert '{"title": "..."}' in prompt
    facts = render_prompt('{facts}', FACTS, 'sv')
    assert 'Calibre: Omega 565' in facts and 'Dial' not in facts and 'Service' not in facts
    assert '{' not in render_prompt(DEFAULT_TEMPLATE, FACTS, 'sv')


def test_an_unknown_placeholder_is_refused_by_name():
    with pytest.raises(ValueError, match=r'unknown placeholder \{price\}'):
        check_template('Write about {brand} at {price}.')
    with pytest.raises(ValueError, match=r'\{colour\}'):
        ChatClient(ChatConfig('http://127.0.0.1:1', 'm', 'k', prompt_template='{colour}'))


# --- refusals ----------------------------------------------------------------------------------------------------


def test_a_wrong_key_is_refused_at_once_without_retrying():
    with openai_server() as fake:
        refused = _refusal(_client(fake.base_url, key='sk-wrong'))
    assert not refused.retryable and '401' in str(refused) and 'API key' in str(refused)
    assert len(fake.requests) == 1


def test_an_unknown_address_is_refused_naming_the_model():
    with openai_server() as fake:
        refused = _refusal(_client(f'{fake.base_url}/nowhere'))
    assert not refused.retryable and '404' in str(refused) and 'gpt-4o-mini' in str(refused)


@pytest.mark.parametrize(
    ('step', 'sentence'),
    [
        ('not-json', 'did not answer with the JSON title and description'),
        ('wrong-shape', 'did not answer with the JSON title and description'),
        ('length', 'stopped before the text was complete'),
        ('content_filter', 'content filter'),
    ],
)
def test_a_reply_that_is_not_the_text_asked_for_is_refused(step, sentence):
    with openai_server() as fake:
        fake.script = [step]
        refused = _refusal(_client(fake.base_url))
    assert sentence in str(refused) and not refused.retryable


# --- retries -----------------------------------------------------------------------------------------------------


def test_busy_and_failing_servers_are_retried_honouring_retry_after():
    with openai_server() as fake, _client(fake.base_url) as client:
        fake.script, fake.retry_after = [429, 503], '1'
        draft, _ = client.describe(FACTS, 'en')
    first, second, third = (request.at for request in fake.requests)
    assert draft.title.startswith('Omega')
    assert second - first >= 0.95, 'Retry-After: 1 was not waited for'
    assert third - second < 0.5, 'a 503 without Retry-After waits the short backoff'


def test_a_server_that_keeps_failing_is_given_up_on_as_retryable():
    with openai_server() as fake:
        fake.script = [500, 502, 503]
        refused = _refusal(_client(fake.base_url, max_retries=2))
    assert refused.retryable and 'gave up after 3 attempts' in str(refused) and len(fake.requests) == 3


def test_a_slow_server_is_a_retryable_timeout_not_retried_at_once():
    with openai_server(latency=1.0) as fake:
        refused = _refusal(_client(fake.base_url, timeout_seconds=0.3))
    assert refused.retryable and str(refused) == f'The AI provider at {fake.base_url[7:]} did not answer within 0.3 s.'
    assert len(fake.requests) == 1


def test_a_server_that_is_down_fails_and_the_same_client_works_once_it_is_up():
    with openai_server() as fake, _client(fake.base_url, max_retries=0) as client:
        fake.down = True
        with pytest.raises(ProviderError) as refused:
            client.describe(FACTS, 'en')
        assert refused.value.retryable and '503' in str(refused.value)
        fake.down = 'close'
        with pytest.raises(ProviderError, match='could not be reached'):
            client.describe(FACTS, 'en')
        fake.down = False
        assert client.describe(FACTS, 'en')[0].title.startswith('Omega')


def test_a_refused_connection_is_retryable():
    with socket.socket() as closed:
        closed.bind(('127.0.0.1', 0))
        port = closed.getsockname()[1]
    refused = _refusal(_client(f'http://127.0.0.1:{port}', max_retries=1))
    assert refused.retryable and 'connection refused' in str(refused)


def test_retry_after_is_read_as_seconds_or_as_a_date():
    assert retry_after('7', 1000.0) == 7.0
    assert retry_after(formatdate(1030.0, usegmt=True), 1000.0) == pytest.approx(30.0)
    assert retry_after(formatdate(900.0, usegmt=True), 1000.0) == 0.0
    assert retry_after('soon', 1000.0) is None and retry_after(None, 1000.0) is None
