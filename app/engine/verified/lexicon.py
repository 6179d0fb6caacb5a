"""The words the verified-answer matcher reads a question with: what kind of answer it asks for, the words that
only phrase a question, and the words that mean the same thing. Calibrated on the dev half of
`bench/data/verified_pairs.jsonl` (docs/decisions/verified.md); `verified.synonyms` in config.yaml adds a team's
own groups.

Everything here may only make two questions *more* alike. A word left out of these lists is a content word, and a
content word one question has and the other lacks keeps them apart: an unknown word costs a verified answer
(retrieval answers instead), never a wrong one.
"""

from __future__ import annotations

# What a question asks for. Two questions that both say what they ask must share a kind: "多久换" (interval) is
# not "换多少" (quantity), "how do I fix E34" (method) is not "what causes E34" (reason). The phrases are removed
# from the text once read. Longer phrases first within a kind; kinds are read in this order.
ASKS: dict[str, tuple[str, ...]] = {
    "interval": ("多长时间", "多少时间", "多久", "周期", "间隔", "频率", "how often", "how frequently", "interval",
                 "frequency"),
    "who": ("谁", "who", "whom"),
    "when": ("什么时候", "何时", "哪天", "when"),
    "where": ("什么位置", "什么地方", "在哪里", "在哪儿", "在哪", "哪里", "哪儿", "where"),
    "effect": ("会怎样", "会怎么样", "什么后果", "什么影响", "有何影响", "what happens", "what is the effect"),
    "reason": ("为什么", "为何", "什么原因", "原因", "why", "what causes", "cause"),
    "meaning": ("什么意思", "是什么意思", "表示什么", "代表什么", "指什么", "含义", "意思", "stand for", "mean",
                "means", "meaning", "indicate", "indicates"),
    "method": ("怎么处理", "如何处理", "怎样处理", "怎么排除", "如何排除", "怎样排除", "怎么解决", "如何解决",
               "怎样解决", "怎么办", "怎么样", "怎么", "怎样", "如何", "how do", "how to", "how can", "how should",
               "how does"),
    "quantity": ("多少", "几", "范围", "how much", "how many", "range", "what value"),
    "yesno": ("能不能", "可不可以", "是不是", "是否", "能否", "可否", "吗"),
}  # fmt: skip

# Asked as an adjective, named as a noun: "有多重" is "重量是多少", "how heavy" is "what weight".
REWRITES: dict[str, str] = {
    "多重": "重量多少", "多长": "长度多少", "多高": "高度多少", "多宽": "宽度多少", "多厚": "厚度多少",
    "多深": "深度多少", "多长时间": "多久", "多快": "速度多少", "多大": "多少", "how heavy": "what weight",
    "how fast": "what speed",
    "what's": "what is", "what're": "what are", "can't": "can not", "don't": "do not", "doesn't": "does not",
    "isn't": "is not",
    # "周期是多长" asks the interval, not a length; "where can I find X" is "where is X"; "switch on" is "turn on"
    "周期是多长": "周期", "周期多长": "周期", "where can i find": "where", "where do i find": "where",
    "switch on": "turn on", "switch off": "turn off",
    # "不能超过几年" is "最多几年"
    "不能超过": "最多", "不得超过": "最多", "不超过": "最多",
}  # fmt: skip

# Groups of words that mean the same in a question; the first of each group stands for all. Whole words in
# English; in Chinese, words of two or more characters wherever they stand ("切削液" inside "切削液浓度"), a
# single character only as a word of its own ("换", not the 换 of "切换").
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("冷却液", "切削液", "乳化液", "冷却水"),
    ("润滑脂", "油脂", "黄油"),
    ("更换", "换"),
    ("最高", "最大"),
    ("最低", "最小", "至少"),
    ("排除", "处理", "解决", "消除"),
    ("过低", "太低", "偏低", "低了"),
    ("过高", "太高", "偏高", "高了"),
    ("堵塞", "堵"),
    ("进入", "进"),
    ("之后", "以后", "后"),
    ("之前", "以前", "前"),
    ("记录", "记载"),
    ("材料", "资料"),
    ("检查", "查看", "检测"),
    ("年", "年限"),  # "累计年限最多几年" is "累计最多几年"
    ("maximum", "max", "top", "highest"),
    ("minimum", "min", "lowest"),
    ("reset", "clear", "restore"),
    ("fix", "solve", "resolve", "troubleshoot"),
    ("replace", "change"),
    ("drop", "fall", "decrease"),
    ("connect", "pair"),
)

# Verbs whose two sides may swap: "connect a speaker to the TV" is "connect the TV to a speaker", while "add water
# to the concentrate" is not "add the concentrate to water" (the to/into/from check). Canonical forms (SYNONYMS).
SYMMETRIC_EN = frozenset({"connect", "link"})

# Modality. A question that says it *must* ("必须穿戴", "must stay") asks the same as one that says it should or
# needs to ("要穿戴", "should stay"), not as one that asks whether it may ("可以戴", "can wear") or says nothing.
# So a strong modal is no content word; the two must agree on it instead (`match.differs`).
MUST = frozenset({"必须", "务必", "must"})
SHOULD = frozenset({"要", "需要", "应该", "应当", "应", "需", "得", "须", "should", "need", "needs", "required"})

# Words that only phrase a question: left out before two questions' words are compared.
FILLERS_ZH = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "是",
        "在",
        "为",
        "有",
        "请问",
        "请",
        "问",
        "一下",
        "应该",
        "应当",
        "应",
        "需要",
        "需",
        "要",
        "得",
        "会",
        "做",
        "进行",
        "时",
        "时候",
        "的话",
        "一次",
        "值",
        "数值",
        "标准",
        "规定",
        "控制",
        "保持",
        "则",
        "就",
        "都",
        "也",
        "还",
        "该",
        "其",
        "之",
        "与",
        "和",
        "及",
        "以及",
        "把",
        "被",
        "给",
        "将",
        "什么",
        "哪些",
        "哪个",
        "哪",
        "个",
        "一般",
        "通常",
        "具体",
        "情况",
        "发生",
        "出现",
        "时间",
        "事情",
        "东西",
        "正常",
        "直接",
        "可以",
        "能够",
        "能",
        "可",
        "按",
        "按照",
        "用",
        "通过",
        # perceiving or giving off what the question is about: "听到设备有异常声音" is "设备发出异常声音"
        "听到",
        "发出",
    ]
)
FILLERS_EN = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "i",
        "we",
        "you",
        "my",
        "your",
        "me",
        "our",
        "us",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "of",
        "to",
        "for",
        "in",
        "at",
        "by",
        "with",
        "from",
        "into",
        "what",
        "which",
        "whose",
        "please",
        "tell",
        "there",
        "here",
        "get",
        "gets",
        "got",
        "s",
        "'s",
        "using",
        "use",
        "used",
        "via",
        "any",
        "some",
        "have",
        "has",
        "had",
        "due",
        "should",
        "each",
        "if",
        # "why does alarm E34 appear" is "what causes alarm E34" (出现 and 发生 are fillers in Chinese)
        "appear",
        "appears",
        "appeared",
        "occur",
        "occurs",
        "occurred",
        "happen",
        "happens",
    ]
)
# Words that ask "what (kind of thing)": the word after one is the question's head ("哪些防护用品", "what
# instrument"), which one question may name and the other leave out ("穿戴什么" is "穿戴哪些防护用品").
QUESTION_HEADS = frozenset({"什么", "哪些", "哪个", "哪种", "哪类", "何种", "what", "which"})

# Negations: the word right after one must be the same on both sides ("good picture but no sound" is not "good
# sound but no picture", though both have the same words). Whole words only.
NEGATIONS = frozenset({"no", "not", "without", "never", "没有", "没", "无", "不"})

# Characters that carry no content on their own, left out even inside a longer word: jieba glues them to their
# neighbours ("前要", "时用", "最多能"). "中" and "里" both say "in" ("在 Debian 中", "Debian 里").
FILLER_CHARS = frozenset("的了吗呢吧啊呀么是在之要需应该于时候中里能可以")

# A word one question adds and the other lacks keeps them apart unless it is general: common in general language
# (jieba's dictionary frequency ≥ `verified.general_frequency`: 参加, 每次, 上 "在 Debian 上") or, in English, one
# of core/stopwords.txt ("can", "about"). These words are never general, however common, because adding one
# changes what is asked: negations and modals ("不可以", "必须戴"), before/after, more/less and high/low, scope
# and order ("全部", "第一"), on/off, start/stop.
NEVER_GENERAL_ZH = frozenset((
    "不", "没", "没有", "无", "未", "别", "非", "勿", "否", "禁止", "严禁", "不得", "不能", "不要", "不可", "不可以",
    "必须", "必", "须", "务必", "一定", "可能", "只", "仅", "才", "只有", "前", "后", "之前", "之后", "以前", "以后",
    "先", "再", "后来", "同时", "然后", "高", "低", "大", "小", "多", "少", "长", "短", "最", "更", "太", "过",
    "超过", "以上", "以下", "以内", "内", "外", "全部", "部分", "所有", "全", "半", "一半", "整个", "第", "一", "二",
    "三", "四", "五", "六", "七", "八", "九", "十", "两", "开", "关", "停", "启动", "停止", "打开", "关闭", "开启",
    "还是", "或", "或者", "又", "也",
))  # fmt: skip
NEVER_GENERAL_EN = frozenset((
    "not", "no", "nor", "never", "without", "only", "all", "any", "before", "after", "above", "below", "over",
    "under", "up", "down", "on", "off", "in", "out", "first", "last", "more", "most", "less", "least", "must", "may",
    "might", "than", "then", "or", "again", "also", "too", "both", "either", "neither",
))  # fmt: skip
# The roles (jieba's part-of-speech tags) of a general Chinese word that may stand on one side only: verbs,
# prepositions, localities, pronouns, conjunctions and particles phrase a question ("达到", "向", "上", "每次");
# nouns, adjectives, adverbs, numbers and measure words name what is asked and never may ("温度", "自动").
LIGHT_ROLES = frozenset({"v", "p", "f", "r", "c", "u", "uj", "ul", "uz", "ud", "ug", "uv", "y", "e", "o"})
# Units are the asked attribute ("运转多少转" is not "运转多少分钟"), however common in general language: one
# question adding a unit never asks the same. Whole words only: the 转 of 运转 is no unit.
UNITS_ZH = frozenset((
    "秒", "秒钟", "分", "分钟", "小时", "钟头", "天", "日", "周", "星期", "月", "年", "转", "圈", "次", "遍", "度",
    "摄氏度", "米", "毫米", "厘米", "公里", "千米", "微米", "丝", "克", "千克", "公斤", "吨", "升", "毫升", "伏",
    "伏特", "安", "安培", "毫安", "瓦", "千瓦", "赫兹", "帕", "千帕", "兆帕", "牛", "牛米", "分贝", "倍", "个", "件",
    "台", "元", "块",
))  # fmt: skip

# Quantities a "what X" asks the value of, as "how much X" does ("What air pressure does the drawbar need?"), unlike
# a thing ("What grease …", which asks which grease, not how much of it).
MEASURES = frozenset((
    "flow", "pressure", "power", "torque", "temperature", "speed", "voltage", "current", "weight", "length", "force",
    "capacity", "size", "load", "resistance", "frequency", "concentration", "clearance", "depth", "width", "height",
    "流量", "压力", "功率", "扭矩", "温度", "转速", "速度", "电压", "电流", "重量", "长度", "力", "容量", "尺寸",
    "负载", "电阻", "频率", "浓度", "间隙", "深度", "宽度", "高度",
))  # fmt: skip
# "What type of grease" asks for the grease: words that only say a kind of the thing asked for follow.
THING_KINDS = frozenset(("type", "types", "kind", "kinds", "sort", "sorts", "brand", "grade"))
