"""Indexes of records, held in Lucene for matching and here for the rest.

Each index has its own dynamic mapping (``mapping.Mapping``); a document
keeps its ``_source`` and its doc values (the typed values aggregations and
sorting read). Index expressions resolve as Elasticsearch resolves them: a
list or comma-separated names, ``*`` wildcards, ``-name`` exclusions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from tonebridge_dash.elasticsearch.lucene import LuceneSession
from tonebridge_dash.elasticsearch.mapping import Mapping, flatten
from tonebridge_dash.errors import TbDashError, clip

_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def glob_match(pattern: str, name: str) -> bool:
    """Whether ``name`` matches ``pattern``, where only ``*`` is a wildcard."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), name) is not None


class IndexNotFound(TbDashError):
    """A concrete index named in a request does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no such index [{clip(name, 100)}]")
        self.name = name


@dataclass
class Document:
    id: str
    index: str
    seq: int  # the order it was indexed in (the _doc sort)
    source: dict
    values: dict[str, list] = field(default_factory=dict)


class LogStore:
    """Named indexes of records over one Lucene session."""

    def __init__(self, session: LuceneSession) -> None:
        self.session = session
        self.mappings: dict[str, Mapping] = {}
        self.documents: dict[str, Document] = {}

    def add(self, index: str, records: Iterable[dict]) -> None:
        """Index ``records`` into ``index`` (made on first use)."""
        if not _INDEX_NAME.fullmatch(index):
            raise TbDashError(f"invalid index name [{clip(index, 100)}]: lower case, digits, '.', '_', '-'")
        mapping = self.mappings.setdefault(index, Mapping())
        batch = []
        for record in records:
            values = mapping.add(flatten(record))
            doc = Document(id=str(len(self.documents)), index=index, seq=len(self.documents),
                           source=record, values=values)
            self.documents[doc.id] = doc
            batch.append((doc.id, values))
        self.session.index(index, mapping.types, batch)

    def resolve(self, expression: str | list[str] | None, *, ignore_unavailable: bool = False) -> list[str]:
        """The index names ``expression`` designates, in name order."""
        parts = expression if isinstance(expression, list) else str(expression or "_all").split(",")
        chosen: list[str] = []
        for part in (p.strip() for p in parts):
            if part.startswith("-") and chosen:
                chosen = [n for n in chosen if not glob_match(part[1:], n)]
            elif part in ("_all", "*"):
                chosen += list(self.mappings)
            elif "*" in part:
                chosen += [n for n in self.mappings if glob_match(part, n)]
            elif part in self.mappings:
                chosen.append(part)
            elif not ignore_unavailable:
                raise IndexNotFound(part)
        return sorted(set(chosen))

    def field_types(self, names: Iterable[str]) -> dict[str, str]:
        """Each field's type over ``names`` (``conflict`` where they differ)."""
        out: dict[str, str] = {}
        for name in names:
            for field_name, kind in self.mappings[name].types.items():
                out[field_name] = kind if out.get(field_name, kind) == kind else "conflict"
        return out
