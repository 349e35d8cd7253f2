"""Entry point for WSGI servers: ``gunicorn wsgi:app``."""

from workshops import create_app

app = create_app()
