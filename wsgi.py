"""Entry point for WSGI servers: ``gunicorn wsgi:app``."""

import gc

from workshops import create_app

app = create_app()
# What the application holds for its whole life (modules, templates, statements built once) is
# moved out of the garbage collector's sight, so that its collections scan only each request's
# objects: about a sixth of the CPU time of the heaviest pages (the attendee list) went to them.
gc.freeze()
