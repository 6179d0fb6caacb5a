from core.documents import CAPTION_END, Page
from ingest.splitter import split_pages

ZH = "主轴最大扭矩为45牛米。冷却液箱容量为20升！换刀时间是多少？应小于2秒；请每天检查油位。" * 6
EN = "The pump must never run dry. Check the seal every week! Is the flow correct? Measure it. " * 5


def split(pages, size=80, overlap=10):
    return split_pages(pages, source="s", doc_sha256="0" * 64, title="t", chunk_size=size, chunk_overlap=overlap)


def test_chinese_chunks_end_at_sentence_ends():
    chunks = split([Page(ZH, 1)])
    assert len(chunks) > 3
    assert all(len(c.text) <= 80 for c in chunks)
    assert all(c.text[-1] in "。！？；" for c in chunks), [c.text[-3:] for c in chunks]


def test_english_chunks_end_at_sentence_ends():
    chunks = split([Page(EN, None)])
    assert len(chunks) > 3
    assert all(c.text.rstrip()[-1] in ".!?" for c in chunks), [c.text[-5:] for c in chunks]


def test_pages_are_never_joined_and_keep_their_number():
    pages = [Page("第一页的内容。" * 3, 1), Page("Second page text.", 2), Page("第三页。", 3)]
    chunks = split(pages, size=400)
    assert [c.page for c in chunks] == [1, 2, 3]
    for c in chunks:
        assert c.text in pages[c.page - 1].text
    assert [c.chunk_index for c in chunks] == [0, 1, 2]
    assert len({c.id for c in chunks}) == 3


def test_markdown_headings_label_chunks_and_nest():
    text = "# Pump P-20\nGeneral notes.\n## Seals\nCheck the seal every week.\n## Impeller\nClearance 0.3 mm."
    chunks = split([Page(text, None)], size=40, overlap=0)
    impeller = next(c for c in chunks if "Clearance" in c.text)
    assert impeller.heading == "Pump P-20 > Impeller"
    assert impeller.embedding_text().count("Impeller") == 1  # the heading is embedded once, never twice
    assert all("#" not in c.text for c in chunks)
    seal = next(c for c in chunks if "seal every week" in c.text)
    assert seal.heading == "Pump P-20 > Seals"
    assert seal.embedding_text().count("Seals") == 1 and "Pump P-20" not in seal.embedding_text()


def test_numbered_and_chinese_headings_carry_over_pages():
    pages = [
        Page("第三章 维护\n二、每周保养\n清理刀塔和导轨上的切屑。", 1),
        Page("检查冷却液浓度，乳化液浓度应保持在5%～8%。", 2),
        Page("3.2 Spindle lubrication\nPack each bearing with 2 g of grease.", 3),
    ]
    chunks = split(pages, size=400)
    assert chunks[0].heading == "第三章 维护 > 二、每周保养"
    assert chunks[1].page == 2 and chunks[1].heading == "第三章 维护 > 二、每周保养"
    assert chunks[1].embedding_text().startswith("二、每周保养\n检查冷却液")  # the innermost heading only
    assert chunks[2].heading.endswith("3.2 Spindle lubrication")


def test_a_tables_caption_labels_its_rows_not_the_text_after_it():
    """A PDF table's caption is a heading over its rows (pdf_tables.py) whose scope ends with them: the text after
    the table, on this page and the next, is under the section again, not under the table."""
    pages = [
        Page(f"4 Fasteners\nTighten in two passes.\n###### Table 4.1 Torques\nSize: M8; Torque: 25 N·m.\n"
             f"{CAPTION_END}\nAfter tightening, mark each bolt with paint.", 1),
        Page("Check the paint marks every week.", 2),
    ]  # fmt: skip
    chunks = split(pages, size=40, overlap=0)
    row = next(c for c in chunks if "M8" in c.text)
    assert row.heading == "4 Fasteners > Table 4.1 Torques"
    after = [c for c in chunks if "paint" in c.text]
    assert len(after) == 2 and all(c.heading == "4 Fasteners" for c in after), [c.heading for c in after]
    assert all(CAPTION_END not in c.text and "zhiku" not in c.text for c in chunks)


def test_sentences_and_list_items_are_not_headings():
    chunks = split([Page("1. Remove the cover.\n2. 拆下端盖。\nThe pump must never run dry.", 1)], size=400)
    assert chunks[0].heading == ""


def test_table_of_contents_chunks_are_not_stored_and_headings_are_embedded_short():
    contents = "\n".join(
        f"{i}.{j} Spindle section {i}{j} .................... {i * 10 + j}" for i in range(1, 4) for j in range(5)
    )
    pages = [Page(contents, 1), Page("# Maintenance\n## Spindle bearings\nPack each bearing with 2 g of grease.", 2)]
    chunks = split(pages, size=400)
    assert [c.page for c in chunks] == [2]
    assert chunks[0].heading == "Maintenance > Spindle bearings"
    assert chunks[0].embedding_text() == chunks[0].text  # it opens with its headings already
