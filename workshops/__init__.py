"""Workshops: run stakeholder workshops and turn what participants say into an open call."""

# ruff: noqa: E402 - the BLAS thread settings must come before any import that loads NumPy

from __future__ import annotations

import os

# One BLAS thread per process, unless told otherwise, before NumPy loads: the similar-need model's
# matrix products are small, and servers run one worker per core, so more threads only contend
# (on a busy two-core machine, the default threads made the model several times slower).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from flask import Flask

from workshops import (
    access,
    audit,
    auth,
    calls,
    cli,
    db,
    errors,
    events,
    http,
    mail,
    main,
    needs,
    personal,
    privacy,
    programme,
    security,
    usecases,
    weblog,
)
from workshops.config import load_config
from workshops.countries import country_name
from workshops.extensions import csrf, login_manager
from workshops.markdown import render_markdown
from workshops.timeutil import local, programme_timezone

ROOT_FOLDER = "../"


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides every other source of configuration."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=ROOT_FOLDER + "templates",
        static_folder=ROOT_FOLDER + "static",
    )
    load_config(app, config)

    http.init_app(app)
    db.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    weblog.init_app(app)
    cli.init_app(app)
    app.add_template_filter(render_markdown, "markdown")
    access.init_app(app)
    app.add_template_filter(local, "local")
    app.add_template_global(programme_timezone, "programme_timezone")
    app.add_template_global(country_name, "country_name")

    main.init_app(app)
    auth.init_app(app)
    audit.init_app(app)
    programme.init_app(app)
    events.init_app(app)
    privacy.init_app(app)
    needs.init_app(app)
    usecases.init_app(app)
    calls.init_app(app)
    personal.init_app(app)
    errors.init_app(app)
    return app
