"""From molecules to sequenced reads: insert sizes, strand, FFPE damage, PCR copies, UMIs.

A *molecule* is one :class:`Fragment` as the designs make it.  :func:`sequence_library`
turns each into the read pairs a sequencer writes: ``pcr_copies`` unflagged copies with the
same ends and UMI (new sequencing errors in each; with ``umi_error_rate``, one UMI base wrong
in a copy), plus a flagged duplicate at ``duplicate_rate``, each copy its own read name.

UMIs are written as the real tools write them:

* ``rx``: SAM ``RX:Z`` on every record (fgbio ``FastqToBam``/``ZipperBams``, Archer): one
  8-mer for anchored PCR (the ligation adapter) and single-end reads, ``AAAAAAAA-CCCCCCCC``
  (one per read) for paired libraries; in the FASTQ as the comment ``RX:Z:...`` for
  ``bwa mem -C``;
* ``mi``: ``RX`` plus fgbio ``GroupReadsByUmi``'s molecule ID ``MI:Z:<n>`` (copies whose raw
  UMI carries an error keep their molecule's ID);
* ``name``: umi_tools ``extract`` style, ``READNAME_UMI`` (both UMIs of a pair joined) in the
  FASTQ and therefore in the BAM.
"""

from __future__ import annotations

import random

from fusioncheck.simulate.fragments import Fragment, Read, Template, pair, resequence
from fusioncheck.simulate.spec import SimulationSpec

UMI_LENGTH = 8
#: FFPE: the chance that a C of a molecule reads T (cytosine deamination), and the insert
#: sizes a degraded library keeps.
FFPE_DAMAGE = 0.01
FFPE_INSERT = (100, 180)
#: FFPE RNA: fragments start on average this far from the transcript's 3' end (degradation).
FFPE_THREE_PRIME_MEAN = 600.0


def fragment_length(rng: random.Random, spec: SimulationSpec, lo: int, hi: int) -> int:
    length = round(rng.gauss(spec.fragment_mean, spec.fragment_sd))
    if spec.ffpe:
        length = max(FFPE_INSERT[0], min(FFPE_INSERT[1], length))
    return max(lo, min(hi, length))


def fragment_start(rng: random.Random, spec: SimulationSpec, size: int, length: int) -> int:
    """Where a fragment of ``length`` starts in a transcript of ``size`` bases: uniform, or
    (FFPE RNA) near the 3' end, as degraded RNA leaves it."""
    if spec.ffpe and spec.assay == "rna":
        back = int(rng.expovariate(1.0 / FFPE_THREE_PRIME_MEAN))
        return size - length - min(back, size - length)
    return rng.randint(0, size - length)


def read_pair(
    spec: SimulationSpec,
    template: Template,
    t0: int,
    length: int,
    read1_sense: bool,
    rng: random.Random,
) -> tuple[Read, Read]:
    """The reads of one molecule: dUTP-stranded RNA puts read 1 antisense to the transcript;
    FFPE damages the molecule's Cs."""
    if spec.stranded:
        read1_sense = False
    damage = FFPE_DAMAGE if spec.ffpe else 0.0
    return pair(template, t0, length, spec.read_length, read1_sense, rng, spec.base_error_rate,
                damage)  # fmt: skip


def _umi(spec: SimulationSpec, rng: random.Random) -> str:
    def kmer() -> str:
        return "".join(rng.choice("ACGT") for _ in range(UMI_LENGTH))

    if spec.design == "amp" or spec.single_end:
        return kmer()
    return f"{kmer()}-{kmer()}"


def _miscopied(umi: str, rng: random.Random) -> str:
    at = rng.choice([i for i, c in enumerate(umi) if c != "-"])
    return umi[:at] + rng.choice([b for b in "ACGT" if b != umi[at]]) + umi[at + 1 :]


def sequence_library(spec: SimulationSpec, molecules: list[Fragment]) -> list[Fragment]:
    """Every read pair the sequencer writes, named ``SAMPLE:N`` (``_UMI`` appended in the
    ``name`` style), each molecule's copies together."""
    seed = spec.seed
    dup_rng = random.Random(f"{seed}:duplicates")
    umi_rng = random.Random(f"{seed}:umi")
    copy_rng = random.Random(f"{seed}:copies")
    width = len(str(2 * len(molecules) * spec.pcr_copies))
    out: list[Fragment] = []

    def add(f: Fragment, reads: tuple[Read, ...], umi: str | None, **kind: str) -> Fragment:
        name = f"{spec.sample}:{len(out) + 1:0{width}d}"
        if spec.umi == "name" and umi:
            name += "_" + umi.replace("-", "")
        copy = Fragment(name, f.source, reads, f.record, umi=umi, molecule=f.molecule,
                        info=f.info, **kind)  # fmt: skip
        out.append(copy)
        return copy

    for k, f in enumerate(molecules):
        f.molecule = k
        reads = f.reads[:1] if spec.single_end else f.reads
        umi = _umi(spec, umi_rng) if spec.umi != "none" else None
        first = add(f, reads, umi)
        for _ in range(spec.pcr_copies - 1):
            again = tuple(resequence(r, copy_rng, spec.base_error_rate) for r in reads)
            copy_umi = umi
            if umi is not None and spec.umi_error_rate:
                if copy_rng.random() < spec.umi_error_rate:
                    copy_umi = _miscopied(umi, copy_rng)
            add(f, again, copy_umi, copy_of=first.name)
        if spec.duplicate_rate and dup_rng.random() < spec.duplicate_rate:
            add(f, reads, umi, duplicate_of=first.name)
    return out


def umi_tags(spec: SimulationSpec, f: Fragment) -> list[tuple[str, object]]:
    """The UMI tags every record of ``f`` carries."""
    if spec.umi == "rx":
        return [("RX", f.umi)]
    if spec.umi == "mi":
        return [("RX", f.umi), ("MI", str(f.molecule))]
    return []


def fastq_comment(spec: SimulationSpec, f: Fragment) -> str:
    """The FASTQ header comment: the UMI tags as SAM text, which ``bwa mem -C`` copies."""
    tags = umi_tags(spec, f)
    if not tags:
        return ""
    return " " + "\t".join(f"{key}:Z:{value}" for key, value in tags)
