"""Word segmentation for BM25 and answer scoring (jieba, search mode).

Text is first put in :func:`rag.textnorm.search_form` (simplified, lower
case), so 溫州 and 温州 give the same tokens. Punctuation, whitespace and a
short list of function/question words are dropped. This module does not
weight terms; BM25 and the answerer do that.
"""

from __future__ import annotations

import functools
import logging
import re

from .textnorm import search_form

__all__ = ["STOPWORDS", "char_bigrams", "jieba_tokenizer", "tokenize"]

STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 等 也 都 而 就 被 把 对 从 以 于 为 之 其 这 那 这个 那个 这些 那些 一个 个
    什么 哪 哪个 哪些 哪里 哪儿 哪一 谁 何 何时 多少 几 怎么 怎样 如何 为什么 吗 呢 吧 啊 呀 么 请问 请 问
    有 有没有 没有 是否 是不是 能 能否 可以 会 要 做 干 叫 称 称为 被称为 所 得 地 着 过 我 你 他 她 它 我们 你们 他们
    the a an of to in on for and or is are was were be by with what which who whom when where why how does do did""".split()
)

_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


@functools.lru_cache(maxsize=1)
def jieba_tokenizer():
    """The process's one initialised ``jieba.Tokenizer`` (its dictionary: ``.FREQ``); shared, do not modify."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


_jieba = jieba_tokenizer  # the old private name


def tokenize(text: str, *, stopwords: bool = True) -> list[str]:
    """Segment ``text`` into BM25 terms.

    >>> tokenize("溫州人工智能局做什么?")
    ['温州', '人工', '智能', '人工智能', '局']
    """
    if len(text) <= _MEMO_CHARS:  # a question is segmented several times per answer (retrieval, law slots, answer)
        return list(_tokenize_memo(text, stopwords))
    return _tokenize(text, stopwords)


#: texts up to this length (questions, not passages) are segmented once and remembered (LRU of 4096)
_MEMO_CHARS = 300


@functools.lru_cache(maxsize=4096)
def _tokenize_memo(text: str, stopwords: bool) -> tuple[str, ...]:
    return tuple(_tokenize(text, stopwords))


def _tokenize(text: str, stopwords: bool) -> list[str]:
    words = _jieba().cut_for_search(search_form(text), HMM=False)
    out = []
    for w in words:
        w = w.strip()
        if not w or not _KEEP.search(w):
            continue
        if stopwords and w in STOPWORDS:
            continue
        out.append(w)
    return out


def tokenize_spans(text: str) -> list[tuple[str, int, int]]:
    """Like :func:`tokenize` but with ``[start, end)`` offsets into ``text``."""
    out = []
    for w, s, e in _jieba().tokenize(search_form(text), mode="search", HMM=False):
        w = w.strip()
        if w and _KEEP.search(w) and w not in STOPWORDS:
            out.append((w, s, e))
    return out


def char_bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of the letters/digits/ideographs (search form).

    >>> char_bigrams("溫州AI局")
    ['温州', '州a', 'ai', 'i局']
    """
    t = "".join(ch for ch in search_form(text) if ch.isalnum())
    return [t[i:i + 2] for i in range(len(t) - 1)] or ([t] if t else [])
