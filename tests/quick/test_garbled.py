"""Garbage text layers (fonts without a Unicode map) are recognised, so auto OCR reads those pages instead."""

import pytest

from ingest.loaders.garbled import is_garbled

# What pypdf returns for a Chinese LaTeX guide whose fonts have no Unicode map (script soup + controls).
SOUP = "ଢ\u0a63 3\n2.7 щၲ໓ࡱ 20\n2.7.1 \u0eedم\u0d50Ⴈ xelatex ଁ\u0a37 21\n3.1 νል MacTEX ᆰࢤ༯ᄛ νልЇࣉྛνል ࢹᇹ ၛଁ\u0a37ྛٚൔνል"
SHIFTED = "3HQČåQt\x03SURVWĜHGN\\\x03QD\x03~þWHFK\x03\x03SODWHEQt\x03\x03ND]GpKR\x03"


@pytest.mark.parametrize("text", [SOUP * 2, SHIFTED * 2])
def test_garbage_is_recognised(text: str):
    assert is_garbled(text)


@pytest.mark.parametrize(
    "text",
    [
        "主轴最大扭矩为 45 N·m，在 1500 rpm 时达到。超过 1500 rpm 后主轴以恒功率运行。Spindle ZK-200, BT40.",
        "The maximum torque of the ZK-200 spindle is 45 N·m, reached at 1,500 rpm (see table 3.2).",
        "Максимальный крутящий момент шпинделя 45 Н·м при 1500 об/мин; ZK-200 spindle unit.",
        "스핀들 최대 토크는 45 N·m 이며 1500 rpm 에서 도달합니다. 베어링 온도 70 °C 초과 시 경보.",
        "العزم الأقصى للمغزل 45 نيوتن متر عند 1500 دورة في الدقيقة ZK-200",
        "short ଢ\u0a63",  # too little to judge
    ],
)
def test_real_text_is_not(text: str):
    assert not is_garbled(text)
