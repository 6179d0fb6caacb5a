"""Gradio's own words (the upload area, the chat's icons) in the page's language, whatever the browser's.

Gradio picks its built-in strings from the browser's locale, so an English browser showed "Drop File Here" and
"Copy message" on the Chinese page. Each page registers these keys, flat (a flat key wins over Gradio's nested
ones, which Gradio adds after custom ones), under every locale Gradio ships: the page's language decides.
"""

from __future__ import annotations

import gradio as gr

# The locales Gradio 6 ships (its language menu); tests/quick/test_gradio_words.py checks them against its assets.
GRADIO_LOCALES = (
    "ar", "ca", "ckb", "de", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "ja", "ko", "lt", "nb", "nl",
    "pl", "pt", "pt-BR", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz", "zh-CN", "zh-TW",
)  # fmt: skip

GRADIO_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "upload_text.drop_file": "将文件拖放到此处",
        "upload_text.click_to_upload": "点击上传",
        "common.or": "或",
        "common.clear": "清除",
        "common.download": "下载",
        "common.remove": "移除",
        "common.share": "分享",
        "common.undo": "撤销",
        "common.edit": "编辑",
        "common.empty": "空",
        "common.error": "错误",
        "common.loading": "加载中",
        "file.uploading": "上传中…",
        "chatbot.copy_message": "复制这条消息",
        "chatbot.copied_message": "已复制",
        "chatbot.clear": "删除此对话",
        "chatbot.retry": "重试",
        "chatbot.undo": "撤销",
        "chatbot.edit": "编辑",
        "chatbot.submit": "提交",
        "chatbot.cancel": "取消",
        "chatbot.like": "赞",
        "chatbot.dislike": "踩",
    },
    "en": {
        "upload_text.drop_file": "Drop files here",
        "upload_text.click_to_upload": "Click to upload",
        "common.or": "or",
        "common.clear": "Clear",
        "common.download": "Download",
        "common.remove": "Remove",
        "common.share": "Share",
        "common.undo": "Undo",
        "common.edit": "Edit",
        "common.empty": "Empty",
        "common.error": "Error",
        "common.loading": "Loading",
        "file.uploading": "Uploading…",
        "chatbot.copy_message": "Copy message",
        "chatbot.copied_message": "Copied",
        "chatbot.clear": "Delete this conversation",
        "chatbot.retry": "Retry",
        "chatbot.undo": "Undo",
        "chatbot.edit": "Edit",
        "chatbot.submit": "Submit",
        "chatbot.cancel": "Cancel",
        "chatbot.like": "Like",
        "chatbot.dislike": "Dislike",
    },
}


def page_i18n(language: str) -> gr.I18n:
    """The same words under every locale: the page's language, not the browser's, decides."""
    words = GRADIO_WORDS[language]
    return gr.I18n(**{locale: dict(words) for locale in GRADIO_LOCALES})
