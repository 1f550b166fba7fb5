"""One module per screen. `register()` adds the routes; `root` is the staff shell that serves every other path."""

from nicegui import app

from config import ROOT
from pages import auth, intake, jobs, login, media, sso
from pages.shell import root

__all__ = ['register', 'root']


def register() -> None:
    """Register middleware, the photo route and the pages that live outside the shell (login, tablet intake)."""
    auth.register()
    app.add_static_files('/static', ROOT / 'assets' / 'static')  # logo and favicon, public
    login.register()
    sso.register()
    media.register()
    jobs.register()
    intake.register()
