"""Knowledge base names and the files they are stored under (issue 19, item 10)."""

from __future__ import annotations

import hashlib

from core.kb import collection_name


def test_a_name_that_looks_like_a_hash_is_not_the_name_it_is_the_hash_of():
    hashed = hashlib.sha256("工艺卡".encode()).hexdigest()[:24]
    assert collection_name("工艺卡") == f"kb-{hashed}"
    assert collection_name(hashed) != collection_name("工艺卡")
    assert collection_name("default") == "kb-default" and collection_name("line-3") == "kb-line-3"
