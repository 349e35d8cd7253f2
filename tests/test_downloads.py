"""The download and CSV helpers."""

from __future__ import annotations

import csv
import io

import pytest

from workshops.downloads import attachment, csv_response, neutralise, safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('Open Call "1"\r\nSet-Cookie: x=1.docx', "Open Call -1-Set-Cookie- x-1.docx"),
        ("../../etc/passwd", "etc-passwd"),
        ("Résilience & Ports.csv", "Resilience - Ports.csv"),
        ("", "download"),
        ('"\r\n', "download"),
    ],
)
def test_file_names_are_sanitised(name, expected):
    assert safe_filename(name) == expected


def test_attachment_header_cannot_be_injected(app):
    with app.test_request_context():
        response = attachment(b"x", filename='a"\r\nX-Evil: 1.txt', mimetype="text/plain")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert disposition.count('"') == 2
    assert "X-Evil" not in response.headers


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


def test_plain_cells_are_left_alone():
    assert neutralise("Port of Antwerp") == "Port of Antwerp"
    assert neutralise(3) == "3"
    assert neutralise(None) == ""


def test_csv_reads_back_with_the_standard_parser(app):
    with app.test_request_context():
        response = csv_response(
            header=["name", "note"], rows=[["Ana", '=HYPERLINK("http://evil")'], ["Bo", "a, b\nc"]], filename="x.csv"
        )
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "note"], ["Ana", '\'=HYPERLINK("http://evil")'], ["Bo", "a, b\nc"]]
    assert response.mimetype == "text/csv"
