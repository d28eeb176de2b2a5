"""The fusion a scan looks for, read from ``resources/targets/<NAME>/target.yaml``.

A target names its 5' and 3' genes, the exons (RNA) and introns (DNA) where its reported
junctions fall, the 3' gene's exons lost and kept by every fusion, and the junction types the
literature names.  The scan core knows genes only through a :class:`Target`; adding a second
fusion is a second folder of data, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fusioncheck.errors import InputError
from fusioncheck.genes import GeneModels, Window, load, resource_path
from fusioncheck.model import Kind

DEFAULT_TARGET = "ASPSCR1_TFE3"


@dataclass(frozen=True)
class Partner:
    """One side of the target fusion."""

    gene: str
    junction_exons: tuple[int, ...]  # RNA: exons at the junction (5': donor, 3': acceptor)
    junction_introns: tuple[int, ...]  # DNA: introns the genomic break falls in
    lost_exons: tuple[int, ...] = ()  # 3' gene: exons every fusion loses ...
    kept_exons: tuple[int, ...] = ()  # ... and keeps (exon-imbalance evidence)


@dataclass(frozen=True)
class JunctionType:
    exon_5p: int
    exon_3p: int
    label: str | None  # literature name, e.g. "type 1"
    reported: bool  # False: in frame, detected, but not a reported type of the disease


@dataclass(frozen=True)
class Target:
    name: str  # e.g. "ASPSCR1::TFE3"
    gene_models: Path
    five_prime: Partner
    three_prime: Partner
    junction_types: tuple[JunctionType, ...]

    @property
    def partners(self) -> tuple[Partner, Partner]:
        return self.five_prime, self.three_prime

    def models(self, build: str) -> GeneModels:
        models = load(build, self.gene_models)
        missing = [p.gene for p in self.partners if p.gene not in models.transcripts]
        if missing:
            raise InputError(f"{self.gene_models}: no {build} model for {', '.join(missing)}")
        return models

    def kind(self, partners: tuple[str, str]) -> Kind:
        genes = (self.five_prime.gene, self.three_prime.gene)
        if partners == genes:
            return "target"
        if partners == genes[::-1]:
            return "reciprocal"
        return "other_partner"

    def windows(self, models: GeneModels, flank: int) -> list[Window]:
        """The regions a scan reads: both genes with ``flank`` bases each side."""
        return [models.window(p.gene, flank) for p in self.partners]

    def junction_type(self, exon_5p: int | None, exon_3p: int | None) -> JunctionType | None:
        for t in self.junction_types:
            if (t.exon_5p, t.exon_3p) == (exon_5p, exon_3p):
                return t
        return None


def _ints(data: dict[str, Any], key: str) -> tuple[int, ...]:
    return tuple(int(x) for x in data.get(key) or ())


def _partner(data: dict[str, Any]) -> Partner:
    return Partner(
        gene=str(data["gene"]),
        junction_exons=_ints(data, "junction_exons"),
        junction_introns=_ints(data, "junction_introns"),
        lost_exons=_ints(data, "lost_exons"),
        kept_exons=_ints(data, "kept_exons"),
    )


@cache
def load_target(name_or_path: str = DEFAULT_TARGET) -> Target:
    """A bundled target by folder name, or a ``target.yaml`` given by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = resource_path(f"targets/{name_or_path}/target.yaml")
    try:
        # libyaml's loader where PyYAML has it (its wheels do): every scan reads this file.
        data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return Target(
            name=str(data["name"]),
            gene_models=(path.parent / data["gene_models"]).resolve(),
            five_prime=_partner(data["five_prime"]),
            three_prime=_partner(data["three_prime"]),
            junction_types=tuple(
                JunctionType(int(t["exon_5p"]), int(t["exon_3p"]), t.get("label"), t["reported"])
                for t in data.get("junction_types") or ()
            ),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable target definition ({exc})") from exc
