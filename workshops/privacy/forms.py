"""The organisers' form for the privacy notice."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from workshops.forms import Form


class NoticeForm(Form):
    """Publish a new version of the privacy notice."""

    body = TextAreaField(
        "Privacy notice (Markdown)",
        validators=[DataRequired("Write the notice."), Length(max=50_000)],
        description="Publishing makes a new version; consents given from then on refer to it.",
        render_kw={"rows": 20},
    )
