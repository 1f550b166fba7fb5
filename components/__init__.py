"""Reusable UI pieces: the app shell, the server-paged table, tiles, theme."""
