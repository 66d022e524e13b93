"""The UI's Chinese wording of library errors (:mod:`rag.errors`): a headline for each, and the detail line under
it — none for a question or filter the reader can fix (the headline says all of it, in Chinese), the library's own
message for the rest (for whoever runs the service). This module only words errors; it does not catch them.
"""

from __future__ import annotations

from rag.errors import (
    IndexError_,
    IndexLocked,
    IndexNotFound,
    QueryError,
    QuestionError,
    RagError,
    StoreUnavailable,
)
from rag.filters import FilterError
from rag.retrieve import MAX_QUESTION_CHARS

__all__ = ["detail", "friendly"]

_FILTER_MESSAGES = {
    "date": "日期格式不对，或开始日期晚于结束日期：请写成 2020、2020-05 或 2020-05-01，开始日期在前。",
    "type": "不认识这个文档类型，请从列表中选择。",
    "law": "资料库中没有这个名称的法律或文件，请检查“法律/文件名称”（可在“资料库”页搜索）。",
    "": "没有符合筛选条件的文档，请放宽文档类型、日期或法律名称。",
}


def friendly(e: RagError) -> str:
    """A Chinese headline for a library error (the library's message is the detail)."""
    if isinstance(e, FilterError):
        return _FILTER_MESSAGES.get(getattr(e, "field", ""), _FILTER_MESSAGES[""])
    if isinstance(e, QuestionError):
        return f"这个问题无法检索，请换个问法（问题不能为空，也不能超过 {MAX_QUESTION_CHARS} 字）。"
    if isinstance(e, QueryError):
        return "这个问题无法检索，请联系管理员（详情见下）。"
    if isinstance(e, IndexNotFound):
        return "资料库还没有建立索引，请先在“资料库”页上传文件。"
    if isinstance(e, IndexLocked):
        return "资料库正在更新，请稍后再试。"
    if isinstance(e, StoreUnavailable):
        return "向量数据库（Milvus）暂时连不上，请稍后再试或联系管理员。"
    if isinstance(e, IndexError_):
        return "资料库索引不可用，请联系管理员重建索引。"
    return "处理时出错了。"


def detail(e: RagError) -> str:
    """The line shown under :func:`friendly`'s headline: '' for a refused question or filter (the library's message
    is English and the headline already says what to change), else the library's own message (an unreadable query
    adapter, an unknown document id: what whoever runs the server must fix).

    >>> detail(FilterError("The start date 2021 is after the end date 2020.", field="date"))
    ''
    >>> detail(IndexLocked("another process is writing the index"))
    'another process is writing the index'
    >>> detail(QuestionError("The question is empty.")), detail(QueryError("Unknown document id(s): d-1."))
    ('', 'Unknown document id(s): d-1.')
    """
    return "" if isinstance(e, (QuestionError, FilterError)) else str(e)
