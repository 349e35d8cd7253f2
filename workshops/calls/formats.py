"""The export formats, once, for the call page and the command line alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workshops.calls import exports, report

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Format:
    """How to write one format: the text or bytes, its media type and file extension."""

    label: str
    mimetype: str
    extension: str
    write: Callable[..., str | bytes]

    def data(self, source) -> bytes:
        """The export as bytes (text in UTF-8)."""
        written = self.write(source)
        return written.encode("utf-8") if isinstance(written, str) else written


CALL_FORMATS: dict[str, Format] = {
    "md": Format("Markdown", "text/markdown; charset=utf-8", "md", exports.markdown),
    "html": Format("HTML (print to PDF)", "text/html; charset=utf-8", "html", exports.html),
    "docx": Format("Word", DOCX, "docx", exports.docx),
    "csv": Format("CSV", "text/csv; charset=utf-8", "csv", exports.csv),
    "json": Format("JSON", "application/json", "json", exports.as_json),
}

REPORT_FORMATS: dict[str, Format] = {
    "md": Format("Markdown", "text/markdown; charset=utf-8", "md", report.markdown),
    "html": Format("HTML (print to PDF)", "text/html; charset=utf-8", "html", report.html),
    "docx": Format("Word", DOCX, "docx", report.docx),
}
