"""What counts as the same text for near-duplicate dropping (issue 19, item 1): only spacing, punctuation,
full-width forms and page-number lines; any other difference is a different fact."""

import pytest

from ingest.sametext import same_text_key

BASE = "报警 AL-608 表示主轴过热，主轴转速不得超过 2800 rpm，润滑脂每 1.5 年更换一次，电流 5 mA。"


@pytest.mark.parametrize(
    "variant",
    [
        BASE.replace(" ", "  ").replace("，", "\n"),  # spacing and line breaks
        BASE.replace("，", ",").replace("。", "."),  # half-width punctuation
        BASE.replace("2800", "２８００").replace("rpm", "ｒｐｍ"),  # full-width forms
        f"第 12 页\n{BASE}\n- 12 -",  # page furniture
        f"Page 3 of 40\n{BASE}\n共 40 页 第 3 页",
    ],
)
def test_trivial_differences_give_the_same_key(variant: str):
    assert same_text_key(variant) == same_text_key(BASE)


@pytest.mark.parametrize(
    "variant",
    [
        BASE.replace("AL-608", "AL-609"),  # a code
        BASE.replace("AL-608", "AL608"),  # a code written otherwise is not assumed to be the same
        BASE.replace("2800", "3800"),  # a number
        BASE.replace("1.5", "15"),  # a decimal point
        BASE.replace("5 mA", "5 MA"),  # a unit's case
        BASE.replace("5 mA", "-5 mA"),  # a sign
        BASE.replace("主轴过热", "主轴过载"),  # a word
        BASE.replace("2800 rpm", "28 00 rpm"),  # two numbers are not one
        f"{BASE}\n60",  # a bare number line is content (a table cell), not a page number
    ],
)
def test_any_other_difference_is_a_different_fact(variant: str):
    assert same_text_key(variant) != same_text_key(BASE)


def test_the_heading_path_is_part_of_the_text():
    """The same steps under "AL-608" and under "AL-609" are two facts: which alarm they answer."""
    steps = "先按复位键，再检查润滑泵。"
    assert same_text_key(steps, "报警 > AL-608") != same_text_key(steps, "报警 > AL-609")
    assert same_text_key(steps, "报警 > AL-608") == same_text_key(steps, "报警 >  AL-608")
