from core.documents import Page
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
