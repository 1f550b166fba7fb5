"""Huey tasks: thin wrappers that call one service each. Importing this package registers every task."""

from tasks import descriptions, fx, jobs, maintenance, reports, search
from tasks.huey_app import huey

__all__ = ['descriptions', 'fx', 'huey', 'jobs', 'maintenance', 'reports', 'search']
