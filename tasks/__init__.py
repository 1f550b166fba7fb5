"""Huey tasks: thin wrappers that call one service each. Importing this package registers every task."""

from tasks import descriptions, jobs, maintenance, search
from tasks.huey_app import huey

__all__ = ['descriptions', 'huey', 'jobs', 'maintenance', 'search']
