"""Statute and policy-file structure: title, header metadata, 编/章/节 headings, articles.

Chinese laws, regulations, judicial interpretations and policy files share a
shape::

    中华人民共和国劳动合同法                       ← title
    2007年6月29日 第十届全国人民代表大会常务委员会…通过   ← header: dates, issuing body,
    2012年12月28日 …《关于修改…的决定》修正               文号 (国务院令第588号, 法释〔2020〕17号)
    第一章 总则                                   ← 编/章/节 headings
    第一条 为了完善劳动合同制度，……               ← article (第X条, 第X条之一)
    国家机关、事业单位……                         ← its second 款 (paragraph)
    （一）……                                      ← a 项 (item) of that 款

This module recognises that shape in the raw blocks of any format (Markdown
from the lawrefbook archive, .txt, .docx, .pdf) and:

- :func:`prepare` (before :func:`rag.ingest.assemble`) takes the title and
  header out of the body (labelled ``title``/``header``, never quoted),
  turns “第一章 …”, “一、…”, “（一）…” lines into headings, drops Markdown
  comments (``<!-- INFO END -->``) and fills ``meta`` with ``doc_type``
  (法律, 行政法规, 司法解释, 部门规章, 地方法规, 案例, 政策文件), ``issuer``,
  ``doc_number`` (文号), ``adopted``/``amended``/``published``/``effective``
  dates, ``version`` (the date of this text) and ``validity`` where the text
  says 已废止/已失效/已被修改;
- :func:`annotate` (after assembly) splits body blocks where an article
  starts inside them (PDF lines joined into one paragraph) and labels every
  body block with its ``article`` ("第五十四条"), so :mod:`rag.chunk` can
  make one passage per article;
- :func:`citation_label` builds ``《中华人民共和国民法典》第五十四条``.

It does not chunk, rank or decide which version of a law is current (see
:mod:`rag.filters`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .records import Document

__all__ = ["ARTICLE", "DOC_TYPES", "annotate", "citation_label", "is_statute", "label_citations", "opens_article",
           "opens_division", "opens_policy_item", "parse_header", "prepare"]

DOC_TYPES = ("法律", "行政法规", "司法解释", "部门规章", "地方法规", "案例", "政策文件")
_NUM = "一二三四五六七八九十百千零〇两0-9０-９"
ARTICLE = re.compile(rf"第[{_NUM}]+条(?:之[一二三四五六七八九十]+)?")
_ARTICLE_START = re.compile(rf"^(第[{_NUM}]+条(?:之[一二三四五六七八九十]+)?)(?:[\s\u3000]+|(?=[^，、。的规款项第和及或至]))")
"""An article label opening a paragraph: followed by a space or by text that is not a reference's tail
(第十二条第二款, 第十二条和第十三条, 第三十九条规定的, 第五条的 are references, not articles)."""
_INLINE_ARTICLE = re.compile(rf"(?<=[。；;：:\n])[\s\u3000]*(第[{_NUM}]+条(?:之[一二三四五六七八九十]+)?)[\s\u3000]+")
_DIVISION = re.compile(rf"^第[{_NUM}]+(编|分编|章|节)(?:[\s\u3000]|$)")
_DIVISION_LEVEL = {"编": 1, "分编": 2, "章": 3, "节": 4}
_POLICY_H1 = re.compile(r"^[一二三四五六七八九十]+、")
_POLICY_H2 = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")
_COMMENT = re.compile(r"^<!--.*?-->$", re.S)
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{2})-(\d{2})")
_DOC_NUMBER = re.compile(r"([\u4e00-\u9fa5]{1,24}(?:令|公告)第[0-9一二三四五六七八九十百零]+号"
                         r"|[\u4e00-\u9fa5]{1,8}[〔\[（(［]\d{4}[〕\]）)］]\s*第?\d+号)")
_VALIDITY = re.compile(r"已废止|已失效|已被修改|已被修订")
_KNOWN_ISSUERS = ("全国人民代表大会常务委员会", "全国人民代表大会", "最高人民法院、最高人民检察院", "最高人民法院",
                  "最高人民检察院", "国务院、中央军委", "中共中央、国务院", "国务院")
_FOLDER_TYPES = {"司法解释": "司法解释", "行政法规": "行政法规", "部门规章": "部门规章", "地方性法规": "地方法规",
                 "地方法规": "地方法规", "案例": "案例", "宪法": "法律", "宪法相关法": "法律", "刑法": "法律",
                 "民法典": "法律", "民法商法": "法律", "社会法": "法律", "经济法": "法律", "行政法": "法律",
                 "诉讼与非诉讼程序法": "法律"}
_HEADER_VERB = re.compile(r"通过|公布|发布|施行|修正|修订|修改|批准|印发|生效")


def _iso(m: re.Match) -> str:
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
    return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"


def _article_start(text: str) -> str | None:
    m = _ARTICLE_START.match(text)
    return m.group(1) if m else None


def opens_article(line: str) -> bool:
    """True when ``line`` opens an article in the shape this module reads (not a reference to one).

    >>> [opens_article(t) for t in ("第十二条 业主应当……", "第一条为了规范……", "第十二条第二款规定的", "第三十九条规定的")]
    [True, True, False, False]
    """
    return bool(_ARTICLE_START.match(line))


def opens_division(line: str) -> bool:
    """True when ``line`` opens a 编/分编/章/节 heading (a space or the line's end after the unit).

    >>> [opens_division(t) for t in ("第二章 物业服务", "第一编", "第二节课", "第五章后")]
    [True, True, False, False]
    """
    return bool(_DIVISION.match(line))


def opens_policy_item(line: str) -> bool:
    """True when ``line`` opens a policy item: 一、 or （一）.

    >>> [opens_policy_item(t) for t in ("一、总则", "（二）养殖用水", "十一、附则", "第一条")]
    [True, True, True, False]
    """
    return bool(_POLICY_H1.match(line) or _POLICY_H2.match(line))


def is_statute(texts: list[str]) -> bool:
    """True when at least two paragraphs start with an article label (第X条) or a 编/章/节 heading.

    >>> is_statute(["第一条 为了……", "第二条 本法……"])
    True
    >>> is_statute(["温州成立人工智能局。"])
    False
    """
    starts = sum(1 for t in texts if _article_start(t.lstrip()) or _DIVISION.match(t.lstrip()))
    inline = sum(len(_INLINE_ARTICLE.findall(t)) for t in texts) if starts < 2 else 0
    return starts + inline >= 2


def parse_header(lines: list[str]) -> dict[str, Any]:
    """Dates, issuing body, 文号 and validity from header lines.

    ``version`` is the date of the text: the latest adoption, amendment or publication date, and
    the effective date only when the header gives no other (parts of one law that state or omit
    their 施行 date alike are one version).

    >>> h = parse_header(["2020年12月7日 最高人民法院审判委员会第1820次会议通过", "2021年1月1日 施行"])
    >>> h["adopted"], h["effective"], h["issuer"], h["version"]
    ('2020-12-07', '2021-01-01', '最高人民法院', '2020-12-07')
    >>> parse_header(["2020年5月28日 第十三届全国人民代表大会第三次会议通过"])["version"]
    '2020-05-28'
    """
    meta: dict[str, Any] = {}
    dates: list[str] = []
    for line in lines:
        line = line.strip("（）() \u3000")
        if v := _VALIDITY.search(line):
            meta["validity"] = "已废止" if v.group(0) in ("已废止", "已失效") else "已被修改"
        ms = list(_DATE.finditer(line))
        cuts = [m.start() for m in ms[1:]]  # one segment per date: "2021年3月1日…通过 2021年3月5日…公布"
        for seg in ([line[s:e] for s, e in zip([0] + cuts, cuts + [len(line)])] if ms else [line]):
            _header_segment(seg, meta, dates)
    text_dates = [d for d in (meta.get("adopted"), meta.get("amended"), meta.get("published")) if d]
    if text_dates or dates:
        meta["version"] = max(text_dates or dates)
    if "number" in meta:
        meta["doc_number"] = meta.pop("number")
    return meta


def _header_segment(seg: str, meta: dict[str, Any], dates: list[str]) -> None:
    m = _DATE.search(seg)
    d = _iso(m) if m else ""
    if d:
        dates.append(d)
    rest = _DATE.sub("", seg).strip(" \u3000，,。")
    if d:
        if re.search(r"修正|修订|修改", rest):
            meta["amended"] = max(meta.get("amended", ""), d)
        elif "通过" in rest:
            meta.setdefault("adopted", d)
        elif re.search(r"公布|发布|印发", rest):
            meta.setdefault("published", d)
        if re.search(r"施行|生效", rest):
            meta.setdefault("effective", d)
    if "number" not in meta and (m := _DOC_NUMBER.search(rest)):
        meta["number"] = m.group(1).lstrip("以及和")
    if "issuer" not in meta and (who := _issuer(rest)):
        meta["issuer"] = who


def _issuer(text: str) -> str:
    t = re.sub(r"第[一二三四五六七八九十百]+届", "", text).strip(" ，,")
    t = t[len("中华人民共和国"):] if t.startswith("中华人民共和国") else t
    for name in _KNOWN_ISSUERS:
        if t.startswith(name) or (name in t and t.index(name) < 4):
            return name
    m = re.match(r"^(?:由|经)?([\u4e00-\u9fa5、]{2,24}?)(?:令第|第[\d一二三四五六七八九十百]+次|公告|发布|公布|批准|印发|通过)", t)
    if m and not m.group(1).startswith(("根据", "关于", "自")):
        return m.group(1)
    return ""


def _folder_type(path: str) -> str:
    """The type a file's folders give it: 案例 as one of its two innermost folders (lawrefbook files its cases under
    the law they apply, ``案例/民法典/``), else the innermost known folder. A folder named 案例 further up (a user's own
    ``案例/laws/民法典/``) does not make every file below it a case.

    >>> _folder_type("lawrefbook/案例/民法典/徐某某诉张某某婚姻家庭案.md"), _folder_type("laws/民法典/总则.md")
    ('案例', '法律')
    >>> _folder_type("/home/u/案例/laws/民法典/总则.md"), _folder_type("/home/u/案例/某案.md")
    ('法律', '案例')
    """
    folders = Path(path).parts[:-1]
    if "案例" in folders[-2:]:
        return "案例"
    for part in reversed(folders):
        if part in _FOLDER_TYPES:
            return _FOLDER_TYPES[part]
    return ""


def _guess_type(title: str, meta: dict[str, Any], has_articles: bool) -> str:
    issuer = str(meta.get("issuer", ""))
    number = str(meta.get("doc_number", ""))
    if "最高人民法院" in issuer or "最高人民检察院" in issuer or title.startswith(("最高人民法院", "最高人民检察院")):
        return "司法解释"
    if "全国人民代表大会" in issuer and not re.search(r"[省市州县区]人民代表大会", issuer):
        return "法律"
    if re.search(r"(省|市|自治区|自治州|县|经济特区).{0,12}人民代表大会", issuer + title[:12]) or \
            re.match(r"^(.{2,8}(省|市|自治区))", title) and title.endswith(("条例", "规定", "办法")):
        return "地方法规"
    if issuer.startswith("国务院") and title.endswith(("条例", "规定", "办法", "细则")):
        return "行政法规"
    if "令第" in number or (issuer and has_articles and title.endswith(("规定", "办法", "细则", "规则"))):
        return "部门规章"
    if title.startswith("中华人民共和国") and title.endswith("法"):
        return "法律"
    return "政策文件"


def prepare(raw: list, meta: dict[str, Any], path: str = "") -> tuple[list, dict[str, Any]]:
    """Relabel raw blocks of a statute/policy file and extract its metadata; other files pass unchanged.

    ``raw`` is a list of :class:`rag.ingest.RawBlock` (text, kind, level); the
    returned list holds the same objects, relabelled, minus Markdown comments.
    ``meta`` (front matter, file properties) wins over what the text says.
    """
    ends = [i for i, b in enumerate(raw) if b.text.strip() == "<!-- INFO END -->"]
    marker = bool(ends)
    marked = {id(b) for b in raw[:ends[0]]} if ends else set()  # lawrefbook: title + header precede it
    blocks = [b for b in raw if not _COMMENT.match(b.text.strip())]
    texts = [b.text.strip() for b in blocks if b.kind == "body"]
    articles = is_statute(texts)
    # two or more 一、/（一） lines, one of them a heading (一、稳增长。全年… in a news story is no heading)
    policy = (sum(1 for t in texts if len(t) < 60 and opens_policy_item(t)) >= 2
              and any(_policy_heading(b.text.strip()) for b in blocks if b.kind in ("body", "heading")))
    folder = _folder_type(path)
    if not (marker or articles or policy or (folder and path.lower().endswith((".md", ".markdown")))):
        return raw, meta
    meta = dict(meta)
    title_i, header = _take_title_and_header(blocks, marked)
    if title_i is not None:
        meta.setdefault("title", blocks[title_i].text.strip().lstrip("#").strip())
        blocks[title_i].kind = "title"
    for i in header:
        blocks[i].kind = "header"
    found = parse_header([blocks[i].text for i in header])
    for b in blocks:
        t = b.text.strip()
        if b.kind == "body" and len(t) < 60 and not _article_start(t):
            if m := _DIVISION.match(t):
                b.kind, b.level = "heading", _DIVISION_LEVEL[m.group(1)]
            elif policy and _policy_heading(t):
                b.kind, b.level = "heading", 5 if _POLICY_H1.match(t) else 6
        if b.kind in ("heading", "title") and (v := _VALIDITY.search(t)):
            found.setdefault("validity", "已废止" if "废止" in v.group(0) or "失效" in v.group(0) else "已被修改")
    if m := re.search(r"\((\d{4}-\d{2}-\d{2})\)\.[A-Za-z]+$", path or ""):
        found["version"] = m.group(1)  # lawrefbook names files 劳动合同法(2012-12-28).md
    title = str(meta.get("title") or "")
    found["doc_type"] = folder or _guess_type(title, found, articles)
    for k, v in found.items():
        meta.setdefault(k, v)
    meta.setdefault("date", meta.get("version", ""))
    if not meta["date"]:
        meta.pop("date")
    return blocks, meta


def _policy_heading(text: str) -> bool:
    """A short, unterminated 一、 or （一） line: a policy file's heading, not an item written as a sentence.

    >>> _policy_heading("一、总体要求"), _policy_heading("（一）稳定岗位"), _policy_heading("一、稳增长。全年增长5%左右。")
    (True, True, False)
    """
    return len(text) < 60 and not text.endswith(("。", "；", ";")) and opens_policy_item(text)


def _take_title_and_header(blocks: list, marked: set[int]) -> tuple[int | None, list[int]]:
    """Index of the title block and of the header lines (dates, issuer) after it."""
    title_i = None
    for i, b in enumerate(blocks[:3]):
        t = b.text.strip()
        if (b.kind == "heading" and b.level == 1) or (b.kind == "body" and len(t) < 60 and "\n" not in t
                                                      and not t.endswith(("。", "；")) and not _article_start(t)
                                                      and not _DIVISION.match(t) and not _DATE.match(t.strip("（("))):
            title_i = i
            break
    header: list[int] = []
    start = (title_i + 1) if title_i is not None else 0
    for i in range(start, min(len(blocks), start + 12)):
        b = blocks[i]
        t = b.text.strip()
        if b.kind == "heading" and b.level == 1 and i == start and marked:
            continue  # 民法典 parts: "# 中华人民共和国民法典" then "# 总则" (a 编, kept as heading)
        if b.kind != "body" or _article_start(t) or _DIVISION.match(t):
            break
        if marked and id(b) not in marked:
            break
        is_header = bool(_DATE.search(t[:20]) and _HEADER_VERB.search(t)) or bool(marked)
        if not is_header and not (header and len(t) < 80 and not t.endswith("。")):
            break
        header.append(i)
    return title_i, header


def annotate(doc: Document) -> Document:
    """Split body blocks at inline article starts and label each body block with its article.

    Sets ``meta["articles"]`` (number of articles) when the document has any;
    leaves other documents unchanged.
    """
    out: list[dict[str, Any]] = []
    current = ""
    count = 0
    for b in doc.blocks:
        if b["kind"] == "heading":
            current = ""
        if b["kind"] != "body":
            out.append(b)
            continue
        cuts = _cuts(doc.text, b["start"], b["end"])
        for s, e in zip(cuts, cuts[1:] + [b["end"]]):
            while e > s and doc.text[e - 1].isspace():
                e -= 1
            if e <= s:
                continue
            label = _article_start(doc.text[s:e])
            if label:
                current, count = label, count + 1
            out.append({**b, "start": s, "end": e, "article": current} if current else {**b, "start": s, "end": e})
    if count:
        doc.blocks = out
        doc.meta["articles"] = count
    return doc


def _cuts(text: str, start: int, end: int) -> list[int]:
    cuts = [start]
    for m in _INLINE_ARTICLE.finditer(text, start, end):
        if m.start(1) > start:
            cuts.append(m.start(1))
    return cuts


def citation_label(title: str, article: str) -> str:
    """``《中华人民共和国民法典》第五十四条``; just the article (or '') when there is no title.

    >>> citation_label("中华人民共和国民法典", "第五十四条")
    '《中华人民共和国民法典》第五十四条'
    """
    if not article:
        return ""
    return f"《{title}》{article}" if title else article


def label_citations(answer, hits: list, not_in_force: dict[str, str] | None = None) -> None:
    """Fill ``label``, ``doc_type`` and ``validity`` of an Answer's citations and suggestions from its hits."""
    by_chunk = {h.chunk.chunk_id: h for h in hits}
    for c in list(answer.citations) + list(answer.suggestions):
        h = by_chunk.get(c.chunk_id)
        if h is None:
            continue
        c.label = citation_label(h.title, h.chunk.article)
        c.doc_type = str(h.meta.get("doc_type") or "")
        c.validity = (not_in_force or {}).get(c.doc_id, "")
