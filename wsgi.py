"""WSGI entry point for gunicorn and `flask`."""

from app import create_app
from app.ops.logs import configure_logging

app = create_app()
configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
