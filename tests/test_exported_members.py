"""`rag.__all__` is sorted, complete and importable (httpx's habit)."""

import rag


def test_all_is_sorted_and_importable():
    assert rag.__all__ == sorted(rag.__all__)
    for name in rag.__all__:
        assert getattr(rag, name) is not None


def test_public_names_are_exported():
    public = {n for n in dir(rag) if not n.startswith("_") and n[0].isupper() and not isinstance(getattr(rag, n), type(rag))}
    assert public <= set(rag.__all__)
