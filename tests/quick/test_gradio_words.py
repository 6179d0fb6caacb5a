"""The page's Gradio words cover every locale the installed Gradio ships (an upgrade adding one would let that
browser see Gradio's own words again), and the export name keeps the whole title."""

import re
from pathlib import Path

import gradio

from app.web.page.export import export_filename
from app.web.page.gradio_words import GRADIO_LOCALES, GRADIO_WORDS


def test_every_shipped_locale_is_covered_in_both_languages():
    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    menu = next(
        m[1] for f in assets.glob("core-*.js") if (m := re.search(r"\{([^{}]*\"zh-CN\":`[^{}]*)\}", f.read_text()))
    )
    shipped = set(re.findall(r"(?:^|,)\"?([\w-]+)\"?:`", menu))
    assert "zh-CN" in shipped and shipped <= set(GRADIO_LOCALES)
    assert GRADIO_WORDS["zh"].keys() == GRADIO_WORDS["en"].keys()


def test_the_export_name_keeps_the_whole_title():
    assert export_filename("报警代码 AL-210/AL-105") == "报警代码 AL-210_AL-105.md"
    assert export_filename("") == "chat.md" and not export_filename("../..").startswith(".")
