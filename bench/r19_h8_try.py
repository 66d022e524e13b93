"""Round 19, h8 (review of h6's open_focus_last): a few conversations on a real index, open_focus_last on vs off.

Per follow-up: the answer both ways, whether ``unfocused`` was asked and what it said, whether the neighbourhood
answered, and the time ``unfocused`` took. Scratch review script (dialogues written for the review).

    RAG_HOME=/tmp/h8/corpus PYTHONPATH=. python bench/r19_h8_try.py /tmp/h8/corpus
"""

from __future__ import annotations

import functools
import sys
import time

import rag.dialogue as dialogue
from rag.dialogue import DialogueConfig, Turn, ask_in_context
from rag.embed import DEFAULT_EMBEDDER, get_embedder
from rag.index import open_index
from rag.qa import ask

DIALOGUES = [
    ["温州成立了什么机构？", "这个局主要负责什么？"],
    ["温州成立了什么机构？", "你知道這個局平時管哪些事嗎？"],
    ["温州成立了什么机构？", "这个局的局长怎么评价这件事？"],
    ["杭州把什么作为首要任务？", "这说明了什么？"],
    ["AlphaGo在哪一年战胜了李世石？", "这件事意味着什么？"],
    ["2017年11月上海发布了什么文件？", "杭州呢？"],
    ["宁波的行动方案重点对接哪些领域？", "嘉兴呢？", "它要发挥什么优势？"],
    ["合肥市政府工作报告第一次提到人工智能是哪年？", "当时提出要打造什么？"],
    ["苏州工业园区有什么特别之处？", "后来又有什么变化？"],
    ["2026全国智能体开发者大会在哪座城市举行？", "当地说要把自己打造成什么？", "说这话的是谁？"],
    ["2018年苏州怎么定位人工智能产业？", "那年南京准备凭哪几样长处？", "请问合肥又提出了什么？"],
    ["德清县为什么能成为首个县域试验区？", "它打算从哪些方向探索？"],
    ["江苏三省的规划建议里人工智能出现了几次？", "这反映了什么趋势？"],
]


def main(home: str) -> None:
    one = functools.partial(ask, open_index(home), embedder=get_embedder(DEFAULT_EMBEDDER))
    calls: list = []
    real_u, real_n = dialogue.unfocused, dialogue._near

    def u(*a, **k):
        t = time.perf_counter()
        r = real_u(*a, **k)
        calls.append(("unfocused", r, (time.perf_counter() - t) * 1000))
        return r

    def n(*a, **k):
        r = real_n(*a, **k)
        calls.append(("near", r is not None, 0.0))
        return r

    dialogue.unfocused, dialogue._near = u, n
    for qs in DIALOGUES:
        hist = {True: [], False: []}
        for i, q in enumerate(qs):
            out = {}
            for on in (True, False):
                calls.clear()
                a = ask_in_context(one, q, hist[on], config=DialogueConfig(open_focus_last=on))
                hist[on].append(Turn(q, a.answer, a.search_question))
                out[on] = (a, list(calls))
            (a1, c1), (a0, _) = out[True], out[False]
            mark = "==" if (a1.answer, a1.search_question) == (a0.answer, a0.search_question) else "!="
            print(f"{mark} [{i}] {q}")
            print(f"   on : {a1.answer[:70]!r} conf={a1.confidence} cits={len(a1.citations)} shown={a1.search_question}")
            if mark == "!=":
                print(f"   off: {a0.answer[:70]!r} conf={a0.confidence} shown={a0.search_question}")
            if c1:
                print("   calls:", [(k, r, round(ms, 2)) for k, r, ms in c1])


if __name__ == "__main__":
    main(sys.argv[1])
