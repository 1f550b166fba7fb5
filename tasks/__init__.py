"""Huey tasks: thin wrappers that call one service each. Importing this package registers every task."""

from tasks import jobs, maintenance, search
from tasks.huey_app import huey

__all__ = ['huey', 'jobs', 'maintenance', 'search']
