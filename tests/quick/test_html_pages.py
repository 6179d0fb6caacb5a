"""Web pages by content, main text only (issue 20, item 1): sniffing a page whatever its extension, the main
text of a saved page, inline HTML stripped from Markdown with its headings kept, and the markup detector."""

from pathlib import Path

import pytest

from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders import load_pages
from ingest.loaders.markup import has_markup, looks_like_page, markup_share, strip_inline_html
from ingest.splitter import split_pages
from tests.conftest import FIXTURES

PAGES = FIXTURES / "html"


def chunks(path: Path) -> list:
    pages = load_pages(path)
    return split_pages(pages, source=path.name, doc_sha256="0" * 64, title=path.name, chunk_size=400, chunk_overlap=60)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("</li> </ul> <p><strong>向量数据库的主要特点和功能:</strong></p>", True),
        ('<h1 class="postTitle"><a href="x">标题</a></h1>', True),
        ("阅读(0)&nbsp;评论(0)", True),
        ("<!-- more -->", True),
        ("Osamu Aoki <osamu at debian dot org>", False),
        ("Uploader: Foo Bar <Foo.Bar@example.org>", False),
        ("if a < b and c > d: Vec<String>, Map<K, V>", False),
        ("# 标题\n- 油位 <= 上限", False),
    ],
)
def test_markup_detector(text: str, found: bool):
    assert has_markup(text) is found


def test_fragments_and_whole_pages_sniff_as_pages_whatever_the_extension():
    for name in ["cnblogs-vector-db.txt", "wordpress-spindle-warmup.txt", "csdn-gearbox-oil.html"]:
        assert looks_like_page((PAGES / name).read_text(encoding="utf-8"), 0.2), name
    markdown = (PAGES / "md-inline-hydraulic.md").read_text(encoding="utf-8")
    assert markup_share(markdown) > 0.2 and not looks_like_page(markdown, 0.2)  # Markdown: stripped, not extracted
    assert not looks_like_page("主轴每运行两千小时更换润滑油。\n油温 < 85 ℃。", 0.2)
    assert markup_share("no tags at all " * 1000) == 0.0


def test_a_blog_fragment_saved_as_txt_keeps_its_article_only():
    text = "\n".join(p.text for p in load_pages(PAGES / "cnblogs-vector-db.txt"))
    assert text.splitlines()[0] == "# 向量数据库入门：原理、特点与选型"  # the post's title leads
    assert "## 二、向量数据库的主要特点" in text.splitlines()
    assert "高效的相似度检索：通过 HNSW、IVF 等近似最近邻索引" in text
    for boilerplate in ["posted @", "阅读(", "评论(", "好文要顶", "返回顶部", "Powered by", "上一篇", "allowComments"]:
        assert boilerplate not in text
    assert not has_markup(text)


@pytest.mark.parametrize("name", ["cnblogs-vector-db.txt", "wordpress-spindle-warmup.txt", "csdn-gearbox-oil.html"])
def test_page_headings_are_the_chunks_sections(name: str):
    found = chunks(PAGES / name)
    assert found and not any(has_markup(c.text) for c in found)
    assert all(c.heading for c in found)  # every chunk sits under the page's title or a section of it


def test_a_whole_page_drops_toolbar_sidebar_counters_comments_and_footer():
    text = load_pages(PAGES / "csdn-gearbox-oil.html")[0].text
    assert "首次运行 300 小时后必须更换齿轮油" in text
    assert "工况: 正常; 首次换油: 300 小时; 常规换油: 5000 小时" in text  # tables stay rows
    for boilerplate in ["程序员学院", "热门文章", "阅读量", "点赞", "请问 220", "京ICP备", "window.csdn"]:
        assert boilerplate not in text


def test_markdown_with_inline_html_keeps_every_word_and_its_headings(tmp_path: Path):
    text = load_pages(PAGES / "md-inline-hydraulic.md")[0].text
    lines = text.splitlines()
    assert lines[0] == "# 液压站日常点检要点"
    assert "## 一、油位与油温" in lines and "## 三、噪声" in lines
    assert "液压站是注塑机和压力机的动力源，每班开机前都应完成下列点检。" in lines
    assert "- 油位应在油标的 上下限之间，低于下限时补加同牌号液压油。" in lines
    assert "项目: 系统压力; 标准: 14 MPa ± 0.5 MPa" in lines
    assert "吸油滤芯每 2000 小时更换一次；回油滤芯压差指示器变红时立即更换。" in lines
    assert not has_markup(text)
    headings = {c.heading for c in chunks(PAGES / "md-inline-hydraulic.md")}
    assert "液压站日常点检要点 > 一、油位与油温" in headings and "液压站日常点检要点 > 三、噪声" in headings


def test_tags_in_code_are_examples_not_markup():
    markdown = '# 页面\n\n正文<br>第二行\n\n```html\n<div class="x">示例</div>\n```\n\n用 `<br>` 换行。\n'
    stripped = strip_inline_html(markdown)
    assert '<div class="x">示例</div>' in stripped and "用 `<br>` 换行。" in stripped
    assert "正文\n第二行" in stripped


def test_text_without_tags_is_unchanged(tmp_path: Path):
    path = tmp_path / "notes.md"
    path.write_text("# 保养\n\n## 每日\n检查油位 < 上限，a&b。\n", encoding="utf-8")
    assert load_pages(path)[0].text == "# 保养\n\n## 每日\n检查油位 < 上限，a&b。"


def test_a_whole_page_saved_as_txt_is_a_page(tmp_path: Path):
    path = tmp_path / "saved.txt"
    path.write_text((PAGES / "csdn-gearbox-oil.html").read_text(encoding="utf-8"), encoding="utf-8")
    text = load_pages(path)[0].text
    assert text.startswith("# 减速机齿轮油更换周期与操作步骤") and "热门文章" not in text


def test_a_page_over_html_max_mb_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "big.txt"
    path.write_text('<div class="post"><p>压力 1.6 MPa。</p></div>\n' * 40_000, encoding="utf-8")
    with pytest.raises(FileIngestError, match=r"ingest\.html_max_mb"):
        load_pages(path, IngestSettings(html_max_mb=1))
