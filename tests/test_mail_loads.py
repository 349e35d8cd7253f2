"""E-mails load nothing from anywhere: no image, stylesheet or font that a mail program would fetch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MAIL = Path(__file__).resolve().parent.parent / "templates" / "mail"
LOADS = re.compile(r"<img\b|\bsrc\s*=|<link\b|url\(|@import|<iframe\b|<object\b|<embed\b", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(MAIL.rglob("*.html")), ids=lambda path: str(path.relative_to(MAIL)))
def test_mail_templates_load_nothing(template):
    assert LOADS.findall(template.read_text(encoding="utf-8")) == []


def test_every_mail_has_a_template_to_check():
    assert len(list(MAIL.rglob("*.html"))) >= 10
