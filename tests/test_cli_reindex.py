"""`python main.py reindex`: rebuilds the configured search index with progress, or fails in one sentence."""

from __future__ import annotations

from pathlib import Path

from tests.factories import make_watch
from tests.test_cli import assert_one_sentence, run_cli


def test_help_lists_reindex():
    result = run_cli('--help')
    assert result.returncode == 0 and 'reindex' in result.stdout


def test_reindex_rebuilds_the_index_with_progress(database_url):
    for brand in ('Rolex', 'Omega', 'Tudor'):
        make_watch(brand=brand)
    result = run_cli('reindex', SV_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert 'search index' in result.stdout
    assert 'indexed: 3/3' in result.stdout
    assert 'Indexed 3 watches in' in result.stdout


def test_reindex_of_an_empty_inventory_says_so(database_url):
    result = run_cli('reindex', SV_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert 'Indexed 0 watches in' in result.stdout


def test_an_unreachable_meilisearch_is_one_sentence(database_url):
    result = run_cli('reindex', SV_DATABASE_URL=database_url, SV_MEILI_URL='http://127.0.0.1:9')
    assert_one_sentence(result, 'Cannot reach Meilisearch at http://127.0.0.1:9')


def test_an_unmigrated_database_is_one_sentence(tmp_path: Path):
    result = run_cli('reindex', SV_DATABASE_URL=f'sqlite:///{tmp_path / "empty.db"}')
    assert_one_sentence(result, 'is not migrated; run `python main.py migrate` first')
