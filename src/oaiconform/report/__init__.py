"""Building the report from a run, and writing it."""

from pathlib import Path

from oaiconform.report.html_writer import render_html, write_html
from oaiconform.report.json_writer import write_json
from oaiconform.report.junit_writer import write_junit
from oaiconform.report.model import SCHEMA_VERSION, Report, build_report

__all__ = [
    "SCHEMA_VERSION",
    "Report",
    "build_report",
    "render_html",
    "write_html",
    "write_json",
    "write_junit",
    "write_reports",
]


def write_reports(report: Report, directory: Path) -> None:
    write_json(report, directory)
    write_html(report, directory)
    write_junit(report, directory)
