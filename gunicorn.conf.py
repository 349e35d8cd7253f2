"""gunicorn's settings for this application, read from the working directory (``gunicorn wsgi:app``).

It sets no option: workers, threads and addresses stay the command line's (or ``WEB_CONCURRENCY``).
It only refuses, before any worker starts, a production server whose processes would each keep
their own rate limits (``RATELIMIT_STORAGE_URI=memory://`` with more than one worker), because
each limit would then be multiplied by the number of workers.
"""

from __future__ import annotations


def on_starting(server) -> None:
    """Check the application's configuration against the number of workers about to start."""
    from workshops.config import configuration
    from workshops.security import check_server_processes

    try:
        check_server_processes(configuration(), server.cfg.workers)
    except RuntimeError as refusal:
        server.log.error("%s", refusal)
        if server.pidfile is not None:
            server.pidfile.unlink()
        raise  # gunicorn prints the message and exits with status 1
