"""Render a ReportDocument (or a feedback sheet) to one self-contained HTML file with Jinja2."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["data_uri"] = image_data_uri
    return env


def image_data_uri(path) -> str:
    data = Path(path).read_bytes()
    kind = "svg+xml" if str(path).endswith(".svg") else "png"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def stylesheet() -> Markup:
    return Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))


def render_report_html(doc, t) -> str:
    return environment().get_template("report.html.j2").render(doc=doc, t=t, css=stylesheet())


def write_text(text: str, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8", newline="\n")
