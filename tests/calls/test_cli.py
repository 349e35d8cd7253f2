"""``export-call`` and ``export-report`` write the same bytes as the call page offers."""

from __future__ import annotations

import json

from workshops.calls import exports, report


def test_export_call_writes_each_format(app, db, call_text, tmp_path):
    runner = app.test_cli_runner()
    for format_, expected in (("json", exports.as_json(call_text)), ("md", exports.markdown(call_text))):
        output = tmp_path / f"call.{format_}"
        result = runner.invoke(args=["export-call", "open-call-2", "--format", format_, "--output", str(output)])
        assert result.exit_code == 0, result.output
        assert output.read_text(encoding="utf-8") == expected
    assert json.loads((tmp_path / "call.json").read_text())["call"]["slug"] == "open-call-2"


def test_export_report_and_an_unknown_call(app, db, call_text, tmp_path):
    runner = app.test_cli_runner()
    output = tmp_path / "report.html"
    result = runner.invoke(args=["export-report", "open-call-2", "--format", "html", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8") == report.html(report.build(db, call_text))
    missing = runner.invoke(args=["export-call", "no-such-call", "--format", "md", "--output", str(output)])
    assert missing.exit_code != 0 and "no call with the slug 'no-such-call'" in missing.output
