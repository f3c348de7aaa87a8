"""What the layout (Builder, page templates, Word writer) needs of a document: a title, the
policy it explains, how it refers to it, its publisher and date, and its provenance. The annual
guides (`GuideData`) and the 政策明白纸 of computing policies (`LeafletData`) both provide it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from compiler.model.policy import Policy


class Publication(Protocol):
    """Who publishes the document and when (署名, 成文日期, 附注)."""

    @property
    def issuer(self) -> str: ...

    @property
    def published(self) -> dt.date: ...

    @property
    def release(self) -> str: ...


class Document(Protocol):
    @property
    def policy(self) -> Policy: ...

    @property
    def params(self) -> Publication: ...

    @property
    def title(self) -> str: ...

    @property
    def short(self) -> str: ...

    @property
    def digest(self) -> str: ...

    @property
    def sources_text(self) -> str: ...
