"""What each assay design puts in the library (DESIGN.md 2b).

* ``wts``: every gene's mRNA at ``background`` fragments per kb;
* ``rna_capture``: the same, but only baited genes at that depth; the others are captured
  off target at ``OFF_TARGET`` of it (with TFE3-only baits ASPSCR1 is almost empty);
* ``amp`` (anchored multiplex PCR, Archer FusionPlex-like): a gene-specific primer in each of
  TFE3 exons ``AMP_PRIMER_EXONS`` reads toward TFE3's 5' end, across the exon start into
  whatever lies upstream (the previous exon, or the fusion partner).  Every molecule ends at
  a primer, so the primer read (read 2) of every molecule from one primer starts at the same
  base; the other end is a random ligation point (read 1, where the adapter UMI is);
  ``background`` molecules per primer, ASPSCR1 seen only in fusion molecules;
* ``dna_capture``: with ``baits="both"`` each gene +- 2 kb at ``background`` depth (a panel
  baiting both genes); with ``baits="TFE3"`` TFE3's exons and introns 3-5 only, so ASPSCR1
  is covered only by fusion molecules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from fusioncheck.errors import UsageError
from fusioncheck.genes import Transcript
from fusioncheck.simulate.fragments import Fragment, Piece, Template
from fusioncheck.simulate.genome import Genome
from fusioncheck.simulate.library import fragment_length, fragment_start, read_pair
from fusioncheck.simulate.spec import SPLIT_SIDE, SimulationSpec

#: TFE3 exons holding an anchored-PCR primer, and how far into the exon (from its start in
#: transcription order) the primer's 5' end lies: a read from it has this many TFE3 bases
#: before it crosses the exon start.
AMP_PRIMER_EXONS = (4, 5, 6, 7, 8)
PRIMER_DEPTH = 45
#: Hybrid capture: an unbaited gene is captured at this fraction of a baited one.
OFF_TARGET = 0.01
#: DNA baits on the 3' gene: the target's junction introns (TFE3 introns 3-5, where ASPSCR1
#: breaks fall), the exons, and this much beyond each bait that captured fragments reach.
BAIT_REACH = 150
#: Bases each side of a target gene sequenced in a DNA panel baiting both genes.
PANEL_FLANK = 2000
#: Intronic library chimeras join points at least this far from any exon.
CHIMERA_MARGIN = 400


def exon_pieces(tx: Transcript, numbers: range, part: int) -> list[Piece]:
    return [Piece(tx.chrom, tx.exon(n).start, tx.exon(n).end, tx.strand, part) for n in numbers]


def mrna(tx: Transcript, genome: Genome, name: str) -> Template:
    return Template(exon_pieces(tx, range(1, len(tx.exons) + 1), 0), genome, name)


# --- anchored multiplex PCR -------------------------------------------------------------------


@dataclass(frozen=True)
class Primer:
    exon: int
    chrom: str
    read_start: int  # genomic position of the primer read's first base
    read_strand: str  # the strand the primer read aligns to


def amp_primers(tx: Transcript) -> list[Primer]:
    out = []
    for n in AMP_PRIMER_EXONS:
        exon = tx.exon(n)
        if tx.strand == "-":  # transcription starts at the exon's highest base
            out.append(Primer(n, tx.chrom, exon.end - PRIMER_DEPTH + 1, "+"))
        else:
            out.append(Primer(n, tx.chrom, exon.start + PRIMER_DEPTH - 1, "-"))
    return out


def primer_offset(template: Template, tx: Transcript, exon: int) -> int | None:
    """Template offset of the primer read's first base (the molecule's last), or None when
    the template lacks the exon."""
    e = tx.exon(exon)
    for piece, off in zip(template.pieces, template.offsets):
        if (piece.chrom, piece.start, piece.end) == (tx.chrom, e.start, e.end):
            return off + PRIMER_DEPTH - 1
    return None


def _amp_molecule(
    spec: SimulationSpec, template: Template, p: int, lo: int, rng: random.Random, source: str
) -> Fragment:
    """A molecule from the ligation point to primer end ``p``: read 1 from the ligation
    end (sense), read 2 from the primer (antisense)."""
    length = fragment_length(rng, spec, lo, p + 1)
    reads = read_pair(spec, template, p + 1 - length, length, True, rng)
    return Fragment("", source, reads)


def _three_prime(genome: Genome) -> Transcript:
    """The target's 3' gene (TFE3), where primers and 3'-only baits sit."""
    return genome.genes[genome.target.three_prime.gene]


def amp_background(spec: SimulationSpec, genome: Genome, rng: random.Random) -> list[Fragment]:
    tfe3 = _three_prime(genome)
    template = mrna(tfe3, genome, f"bg:{tfe3.gene}")
    out = []
    for primer in amp_primers(tfe3):
        p = primer_offset(template, tfe3, primer.exon)
        assert p is not None
        for _ in range(round(spec.background)):
            out.append(_amp_molecule(spec, template, p, spec.read_length, rng, "background"))
    return out


def amp_junction_fragments(
    spec: SimulationSpec, template: Template, n: int, rng: random.Random, source: str
) -> list[Fragment]:
    """``n`` fusion molecules from the primer nearest downstream of the junction, each with at
    least ``SPLIT_SIDE`` bases of the partner."""
    (j,) = template.junctions
    tfe3 = _three_prime(template.genome)
    offsets = [primer_offset(template, tfe3, e) for e in AMP_PRIMER_EXONS]
    after = [p for p in offsets if p is not None and p >= j]
    if not after:
        raise UsageError(
            f"amp: no {tfe3.gene} primer (exons {AMP_PRIMER_EXONS[0]}-{AMP_PRIMER_EXONS[-1]}) lies "
            f"downstream of the junction; use a 3' exon up to {AMP_PRIMER_EXONS[-1]}"
        )
    p = min(after)
    lo = max(spec.read_length, p + 1 - j + SPLIT_SIDE)
    return [_amp_molecule(spec, template, p, lo, rng, source) for _ in range(n)]


# --- hybrid capture and whole transcriptome ---------------------------------------------------


def _baited(spec: SimulationSpec, genome: Genome) -> set[str]:
    target = genome.target
    if spec.baits != "both":
        return {spec.baits}
    return {target.five_prime.gene, target.three_prime.gene}


def rna_background(spec: SimulationSpec, genome: Genome, rng: random.Random) -> list[Fragment]:
    """Every modelled gene's mRNA; under capture, unbaited genes at ``OFF_TARGET``."""
    L = spec.read_length
    baited = _baited(spec, genome)
    out = []
    for gene in sorted(genome.genes):
        template = mrna(genome.genes[gene], genome, f"bg:{gene}")
        scale = 1.0 if spec.design == "wts" or gene in baited else OFF_TARGET
        for _ in range(round(spec.background * scale * len(template) / 1000)):
            flen = fragment_length(rng, spec, min(L, len(template)), len(template))
            t0 = fragment_start(rng, spec, len(template), flen)
            reads = read_pair(spec, template, t0, flen, rng.random() < 0.5, rng)
            out.append(Fragment("", "background", reads))
    return out


def dna_regions(spec: SimulationSpec, genome: Genome, five: Transcript) -> list[Piece]:
    """The stretches of genome a DNA panel sequences."""
    if spec.baits == "both":
        genes = sorted(_baited(spec, genome) | {five.gene})
        return [
            Piece(genome.genes[g].chrom, genome.genes[g].start - PANEL_FLANK,
                  genome.genes[g].end + PANEL_FLANK, "+", 0)
            for g in genes
        ]  # fmt: skip
    tfe3 = _three_prime(genome)
    introns = genome.target.three_prime.junction_introns
    spans = [(e.start, e.end) for e in tfe3.exons] + [tfe3.intron(n) for n in introns]
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        s, e = s - BAIT_REACH, e + BAIT_REACH
        if merged and s <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [Piece(tfe3.chrom, s, e, "+", 0) for s, e in merged]


def dna_background(
    spec: SimulationSpec, genome: Genome, rng: random.Random, five: Transcript
) -> list[Fragment]:
    L = spec.read_length
    out = []
    for region in dna_regions(spec, genome, five):
        template = Template([region], genome, f"bg:{region.chrom}:{region.start}")
        for _ in range(round(spec.background * len(template) / (2 * L))):
            flen = fragment_length(rng, spec, L, len(template))
            t0 = rng.randint(0, len(template) - flen)
            reads = read_pair(spec, template, t0, flen, rng.random() < 0.5, rng)
            out.append(Fragment("", "background", reads))
    return out


# --- library chimeras -------------------------------------------------------------------------


def _deep_intron_point(tx: Transcript, rng: random.Random) -> tuple[int, int]:
    """(intron number, position) at least ``CHIMERA_MARGIN`` from any exon."""
    introns = [
        n for n in range(1, len(tx.exons))
        if tx.intron(n)[1] - tx.intron(n)[0] > 2 * CHIMERA_MARGIN
    ]  # fmt: skip
    n = rng.choice(introns)
    lo, hi = tx.intron(n)
    return n, rng.randint(lo + CHIMERA_MARGIN, hi - CHIMERA_MARGIN)


def intronic_chimeras(
    spec: SimulationSpec, genome: Genome, rng: random.Random
) -> tuple[list[Fragment], list[dict[str, Any]]]:
    """Single split fragments of pre-mRNA joining a 5' gene (ASPSCR1) intron to a 3' gene
    (TFE3) intron, each at its own pair of points: library chimeras far from any exon
    boundary."""
    target = genome.target
    five, three = genome.genes[target.five_prime.gene], genome.genes[target.three_prime.gene]
    frags, sites = [], []
    for _ in range(spec.intronic_chimeras):
        i5, p5 = _deep_intron_point(five, rng)
        i3, p3 = _deep_intron_point(three, rng)
        arm = 2000  # longer than any fragment: the chimeric molecule around the join
        pieces = [
            Piece(five.chrom, p5 - arm + 1, p5, five.strand, 0)
            if five.strand == "+" else Piece(five.chrom, p5, p5 + arm - 1, five.strand, 0),
            Piece(three.chrom, p3 - arm + 1, p3, three.strand, 1)
            if three.strand == "-" else Piece(three.chrom, p3, p3 + arm - 1, three.strand, 1),
        ]  # fmt: skip
        template = Template(pieces, genome, "intronic_chimera")
        (j,) = template.junctions
        L = spec.read_length
        length = fragment_length(rng, spec, L, arm)
        side = rng.randint(SPLIT_SIDE, L - SPLIT_SIDE)  # read 1's bases before the junction
        # Read 1 crosses: the fragment's first read, or its last when read 1 is antisense.
        t0 = j - side if not spec.stranded else j - side - length + L
        reads = read_pair(spec, template, max(0, t0), length, True, rng)
        frags.append(Fragment("", "intronic_chimera", reads))
        sites.append({"intron_5p": i5, "intron_3p": i3, "breakpoint_5p": p5, "breakpoint_3p": p3})
    return frags, sites
