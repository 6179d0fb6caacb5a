"""Labels of the chat page in each interface language (not prompts: nothing here reaches the LLM)."""

LABELS = {
    "zh": {
        "title": "知库 · 文档问答",
        "subtitle": "答案来自知识库 **{kb}** 中的文档，每个回答下面列出出处（文件 · 页码）和原文。",
        "placeholder": "输入问题，例如：主轴的最大扭矩是多少？",
        "send": "发送",
        "new_chat": "新对话",
        "upload": "上传文档到当前知识库（PDF、Markdown、TXT、HTML）",
        "documents": "知识库中的文档",
        "sources": "来源",
        "searched": "检索内容",
        "timing": "检索 {retrieve_ms:.0f} ms · 生成 {generate_ms:.0f} ms",
        "ingested": "已导入",
        "skipped": "已是最新，跳过",
        "failed": "失败",
        "error": "出错了：{error}",
        "empty_docs": "（知识库为空）",
    },
    "en": {
        "title": "Zhiku · ask your documents",
        "subtitle": "Answers come from the documents in knowledge base **{kb}**; each answer lists its sources "
        "(file · page) with the passage text.",
        "placeholder": "Ask a question, e.g. What is the maximum spindle torque?",
        "send": "Send",
        "new_chat": "New chat",
        "upload": "Upload documents into this knowledge base (PDF, Markdown, TXT, HTML)",
        "documents": "Documents in the knowledge base",
        "sources": "Sources",
        "searched": "Searched for",
        "timing": "retrieval {retrieve_ms:.0f} ms · generation {generate_ms:.0f} ms",
        "ingested": "ingested",
        "skipped": "up to date, skipped",
        "failed": "failed",
        "error": "Something went wrong: {error}",
        "empty_docs": "(the knowledge base is empty)",
    },
}
