"""Word boundaries of Chinese text, so that the marks of the 条文对照表 cover whole words
(哈密市市场监督管理局 → 市市场监管局) rather than the single characters a character diff finds
(哈密|督|理). Segmentation is jieba's dictionary lookup without its HMM guesser, which keeps the
result a pure function of the text and the dictionary shipped with the package (deterministic
across runs and machines)."""

from __future__ import annotations

import functools
import logging
from typing import Any


@functools.cache
def _segmenter() -> Any:
    # Imported on first use, not at start-up: `import jieba` costs ≈ 100 ms of every command, and
    # its dictionary ≈ 1 s more, which only a diff with changes needs.
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces loading its dictionary on stderr
    return jieba


@functools.lru_cache(maxsize=4096)
def word_boundaries(text: str) -> frozenset[int]:
    """Character offsets in `text` where a word starts or ends (0 and len(text) included)."""
    out = {0, len(text)}
    pos = 0
    for word in _segmenter().cut(text, HMM=False):
        pos += len(word)
        out.add(pos)
    return frozenset(out)
