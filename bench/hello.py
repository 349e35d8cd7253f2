"""A bare Flask application, the baseline the benchmark compares Workshops against.

Served by gunicorn with the same settings as the real application (``bench/run.py`` starts it as
``gunicorn hello:app`` from this folder), it measures what the server, the WSGI layer and Flask cost
on their own, so that the application's figures can be read as a share of that ceiling.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index() -> str:
    """Answer with a constant body and nothing else."""
    return "hello"
