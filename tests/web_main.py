"""The app as NiceGUI's `user` fixture runs it: the same assembly as `python main.py serve`."""

from config import get_settings
from main import start_web

start_web(get_settings())
