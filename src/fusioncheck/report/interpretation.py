"""The report's interpretive data: references, what each TFE3 partner points to, statements.

All of it lives in ``resources/targets/ASPSCR1_TFE3/interpretation.yaml`` so that a clinical
reviewer corrects words and citations in one data file, not in code.  Statements cite with
``[@key]`` / ``[@key1, @key2]``; :meth:`Interpretation.say` turns those into the reference
numbers printed in the report and fills ``$name`` fields from the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from string import Template
from typing import Any

import yaml

from fusioncheck.errors import InputError
from fusioncheck.genes import resource_path

RESOURCE = "targets/ASPSCR1_TFE3/interpretation.yaml"

_CITATION = re.compile(r"\[(@[A-Za-z0-9_]+(?:,\s*@[A-Za-z0-9_]+)*)\]")


@dataclass(frozen=True)
class Reference:
    key: str
    number: int
    authors: str | None
    title: str
    journal: str | None
    year: int | None
    volume: str | None
    issue: str | None
    pages: str | None
    pmid: str | None
    doi: str | None
    pmcid: str | None
    unconfirmed: tuple[str, ...]

    @property
    def text(self) -> str:
        """Vancouver-style: Authors. Title. Journal. Year;Vol(Issue):Pages. PMID. doi."""
        parts = [p for p in (self.authors, self.title, self.journal) if p]
        text = ". ".join(p.rstrip(".") for p in parts) + "."
        text += self._locator()
        ids = [f"PMID {self.pmid}" if self.pmid else None,
               f"PMCID {self.pmcid}" if self.pmcid else None,
               f"doi:{self.doi}" if self.doi else None]  # fmt: skip
        text += "".join(f" {i}." for i in ids if i)
        if self.unconfirmed:
            text += (
                f" [Not confirmed against a bibliographic record: {', '.join(self.unconfirmed)}.]"
            )
        return text

    def _locator(self) -> str:
        """' 2001;20(1):48-57.' with whatever of year, volume, issue and pages is known."""
        loc = "" if self.year is None else str(self.year)
        if self.volume:
            issue = f"({self.issue})" if self.issue else ""
            loc += (";" if loc else "") + self.volume + issue
        if self.pages:
            loc += (":" if self.volume else ", " if loc else "") + self.pages
        return f" {loc}." if loc else ""


@dataclass(frozen=True)
class PartnerTumour:
    site: str
    tumour: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Interpretation:
    target: str
    five_prime: str
    three_prime: str
    references: tuple[Reference, ...]
    partners: dict[str, tuple[PartnerTumour, ...]]
    fish_blind: dict[str, str]
    literature_types: dict[int, str]
    statements: dict[str, str]

    def cite(self, keys: tuple[str, ...] | list[str]) -> str:
        numbers = {r.key: r.number for r in self.references}
        return "[" + ", ".join(str(numbers[k]) for k in keys) + "]"

    def say(self, name: str, **fields: object) -> str:
        """Statement ``name`` with its citations numbered and ``$fields`` filled in."""
        text = Template(self.statements[name]).substitute(fields)
        return self._numbered(text)

    def _numbered(self, text: str) -> str:
        def number(match: re.Match[str]) -> str:
            keys = [k.strip().lstrip("@") for k in match.group(1).split(",")]
            return self.cite(keys)

        return _CITATION.sub(number, text)

    def partner_sentence(self, fusion_name: str, partner: str) -> str | None:
        """'X::TFE3 points to A [n] (site); B [m] (site).' or None for an unlisted partner."""
        tumours = self.partners.get(partner)
        if not tumours:
            return None
        parts = [f"{t.tumour} ({t.site}) {self.cite(t.refs)}" for t in tumours]
        sentence = f"{fusion_name} points to: " + "; ".join(parts) + "."
        blind = self.fish_blind.get(partner)
        if blind:
            sentence += f" Note: {self._numbered(blind)}."
        return sentence


def _reference(number: int, entry: dict[str, Any]) -> Reference:
    return Reference(
        key=entry["key"],
        number=number,
        authors=entry.get("authors"),
        title=entry["title"],
        journal=entry.get("journal"),
        year=entry.get("year"),
        volume=entry.get("volume"),
        issue=entry.get("issue"),
        pages=entry.get("pages"),
        pmid=entry.get("pmid"),
        doi=entry.get("doi"),
        pmcid=entry.get("pmcid"),
        unconfirmed=tuple(entry.get("unconfirmed", ())),
    )


def _check_citations(interp: Interpretation) -> None:
    """Every [@key] and partner ref must name a reference: a typo must fail loudly, not print."""
    known = {r.key for r in interp.references}
    cited: set[str] = set()
    for text in [*interp.statements.values(), *interp.fish_blind.values()]:
        for group in _CITATION.findall(text):
            cited.update(k.strip().lstrip("@") for k in group.split(","))
    for tumours in interp.partners.values():
        for t in tumours:
            cited.update(t.refs)
    missing = sorted(cited - known)
    if missing:
        raise InputError(f"{RESOURCE}: cites unknown reference(s) {', '.join(missing)}")


@cache
def load() -> Interpretation:
    path = resource_path(RESOURCE)
    data = yaml.safe_load(path.read_text())
    interp = Interpretation(
        target=data["target"],
        five_prime=data["five_prime"],
        three_prime=data["three_prime"],
        references=tuple(_reference(i, e) for i, e in enumerate(data["references"], 1)),
        partners={
            gene: tuple(PartnerTumour(t["site"], t["tumour"], tuple(t["refs"])) for t in rows)
            for gene, rows in data["partners"].items()
        },
        fish_blind=dict(data.get("fish_blind", {})),
        literature_types={int(k): v for k, v in data["literature_types"].items()},
        statements={k: " ".join(v.split()) for k, v in data["statements"].items()},
    )
    _check_citations(interp)
    return interp
