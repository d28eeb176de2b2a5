"""What to simulate: :class:`SimulationSpec`, its defaults per assay design, and its checks."""

from __future__ import annotations

from dataclasses import dataclass, fields

from fusioncheck.errors import UsageError
from fusioncheck.genes import BUILDS, CONTIG_LENGTHS
from fusioncheck.simulate.genome import parse_locus
from fusioncheck.simulate.styles import DNA_STYLES, RNA_ALIGNERS
from fusioncheck.target import DEFAULT_TARGET, Target, load_target

#: Split fusion fragments put at least this many bases on each side of the junction.
SPLIT_SIDE = 25
#: The library designs labs run (DESIGN.md 2b) and the assay each sequences.
DESIGNS = {"wts": "rna", "amp": "rna", "rna_capture": "rna", "dna_capture": "dna"}
UMI_STYLES = ("none", "rx", "mi", "name")
_DESIGN_DEFAULTS: dict[str, dict[str, object]] = {
    "wts": {"aligner": "star_chimeric", "background": 400.0,
            "fragment_mean": 250, "fragment_sd": 50},
    "rna_capture": {"aligner": "star_chimeric", "background": 400.0,
                    "fragment_mean": 250, "fragment_sd": 50},
    # Anchored PCR: background is molecules per primer; BWA-MEM is the usual aligner.
    "amp": {"aligner": "bwa", "background": 100.0,
            "fragment_mean": 160, "fragment_sd": 50},
    "dna_capture": {"aligner": "bwa", "background": 30.0,
                    "fragment_mean": 350, "fragment_sd": 60},
}  # fmt: skip
#: FFPE libraries: short inserts read 2x75, heavily duplicated.
_FFPE_DEFAULTS: dict[str, object] = {
    "fragment_mean": 140, "fragment_sd": 25, "read_length": 75, "duplicate_rate": 0.3,
}  # fmt: skip
_PLAIN_DEFAULTS: dict[str, object] = {"read_length": 100, "duplicate_rate": 0.0}


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate.  Fields left ``None`` take the design's default on construction.

    ``target``: the fusion, as ``scan`` takes it (a bundled target's folder name, default
    ASPSCR1_TFE3, or the path of a ``target.yaml``): the genome holds its gene models and
    the fusion joins its genes.  Below, ASPSCR1 and TFE3 stand for the target's 5' and 3'
    genes, and the default junction is the target's first junction type.

    ``design``: ``wts`` (whole transcriptome, the RNA default), ``amp`` (anchored multiplex
    PCR from TFE3 primers), ``rna_capture`` or ``dna_capture`` (hybrid capture); with no
    design, ``assay="dna"`` is a DNA panel baiting both genes.  ``baits``: ``both`` or the 3'
    gene, ``TFE3`` (the default for a named targeted design, both otherwise).

    ``junction``: RNA (5' exon, 3' exon) joined donor -> acceptor, default (7, 6); DNA
    (5' intron, 3' intron) with the break inside each, default (7, 5) = ASPSCR1 intron 7 ::
    TFE3 intron 5, which predicts the ex7::ex6 transcript.  ``background``: RNA fragments per
    kb of each gene's transcript (default 400); amp, molecules per primer (default 100); DNA
    mean read depth over the baited regions (default 30).  ``fusion_fragments`` counts
    molecules; ``None`` (DNA) derives it from the depth and ``tumour_fraction``
    (heterozygous).  ``five_prime`` (default: the target's 5' gene) is a gene the target's
    models hold on the simulated contigs (ASPSCR1, PRCC, SFPQ, NONO, ...) or a locus
    ``chr1:120000000`` (a synthetic partner whose exon 1 ends there).

    Library: ``pcr_copies`` read pairs per molecule, none flagged; ``duplicate_rate`` extra
    copies flagged 0x400; ``umi`` where the molecule's UMI is written (``rx``, ``mi`` = RX
    plus fgbio's MI, ``name`` = umi_tools ``READ_UMI``); ``umi_error_rate`` the chance a copy's
    UMI has one base wrong.  ``ffpe``: short inserts, 2x75, C>T damage, duplicates, 3' bias.
    """

    assay: str = None  # type: ignore[assignment]
    design: str = None  # type: ignore[assignment]
    baits: str = None  # type: ignore[assignment]
    aligner: str = None  # type: ignore[assignment]
    build: str = "GRCh38"
    contig_style: str = "chr"
    five_prime: str = None  # type: ignore[assignment]
    junction: tuple[int, int] = None  # type: ignore[assignment]
    fusion_fragments: int | None = 10
    reciprocal: bool = False
    background: float = None  # type: ignore[assignment]
    tumour_fraction: float = 0.5
    duplicate_rate: float = None  # type: ignore[assignment]
    base_error_rate: float = 0.0
    read_length: int = None  # type: ignore[assignment]
    fragment_mean: int = None  # type: ignore[assignment]
    fragment_sd: int = None  # type: ignore[assignment]
    paralog_fragments: int = 0
    artefact_pairs: int = 0
    read_through: int = 0
    #: RNA: the fusion transcript expressed at this many fragments per kb of its 3' part, none
    #: of them crossing the junction (as in a capture panel that baits only TFE3).
    unspanned_fusion: float = 0.0
    #: RNA: single fragments each joining a random point deep in an ASPSCR1 intron to one
    #: deep in a TFE3 intron (library chimeras, not a fusion).
    intronic_chimeras: int = 0
    umi: str = "none"
    umi_error_rate: float = 0.0
    pcr_copies: int = 1
    ffpe: bool = False
    stranded: bool = False
    single_end: bool = False
    no_supplementary: bool = False
    seed: int = 1
    sample: str = "simulated"
    target: str = DEFAULT_TARGET

    def __post_init__(self) -> None:
        _resolve(self)
        _check_choices(self)
        _check_numbers(self)
        _check_design(self)

    @property
    def definition(self) -> Target:
        """The target fusion's definition."""
        return load_target(self.target)

    def fields(self) -> dict[str, object]:
        """Every field by name; ``target`` only when it is not the default, so the files of
        the default target stay as they were before targets were data."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.target == DEFAULT_TARGET:
            del out["target"]
        return out

    def options(self) -> str:
        """The spec as CLI options (no paths), for the @PG line."""
        args = []
        for name, value in self.fields().items():
            flag = "--" + name.replace("_", "-")
            if isinstance(value, bool):
                if value:
                    args.append(flag)
            elif isinstance(value, tuple):
                args.append(f"{flag} {value[0]}:{value[1]}")
            elif value is not None:
                args.append(f"{flag} {value}")
        return " ".join(args)


def _resolve(spec: SimulationSpec) -> None:
    """Fill the ``None`` fields from the design (itself from the assay when not given)."""

    def put(name: str, value: object) -> None:
        if getattr(spec, name) is None:
            object.__setattr__(spec, name, value)

    if spec.assay is not None and spec.assay not in ("rna", "dna"):
        raise UsageError(f"assay {spec.assay!r}: use rna or dna")
    if spec.design is not None and spec.design not in DESIGNS:
        raise UsageError(f"design {spec.design!r}: use one of {', '.join(DESIGNS)}")
    named = spec.design is not None
    put("design", "dna_capture" if spec.assay == "dna" else "wts")
    put("assay", DESIGNS[spec.design])
    if DESIGNS[spec.design] != spec.assay:
        raise UsageError(f"design {spec.design} sequences {DESIGNS[spec.design]}, not {spec.assay}")
    target = spec.definition
    three = target.three_prime.gene
    put("baits", three if named and spec.design != "wts" else "both")
    put("five_prime", target.five_prime.gene)
    # The first junction type the target lists: RNA joins its exons, DNA breaks in the
    # introns that splice to them (ASPSCR1 intron 7 :: TFE3 intron 5 gives ex7::ex6).
    first = target.junction_types[0]
    put("junction", (first.exon_5p, first.exon_3p - (spec.design == "dna_capture")))
    for name, value in (_FFPE_DEFAULTS if spec.ffpe else _PLAIN_DEFAULTS).items():
        put(name, value)  # before the design's: FFPE inserts are short whatever the design
    for name, value in _DESIGN_DEFAULTS[spec.design].items():
        put(name, value)
    object.__setattr__(spec, "junction", tuple(int(x) for x in spec.junction))


def _check_choices(spec: SimulationSpec) -> None:
    allowed = RNA_ALIGNERS if spec.assay == "rna" else DNA_STYLES
    if spec.aligner not in allowed:
        raise UsageError(
            f"aligner {spec.aligner!r} does not fit assay {spec.assay}: use one of "
            + ", ".join(allowed)
        )
    if spec.build not in BUILDS:
        raise UsageError(f"build {spec.build!r}: use one of {', '.join(BUILDS)}")
    if spec.contig_style not in ("chr", "plain"):
        raise UsageError(f"contig style {spec.contig_style!r}: use chr or plain")
    if spec.five_prime not in known_partners(spec):
        parse_locus(spec.five_prime, spec.build)  # raises unless a locus
    three = spec.definition.three_prime.gene
    if spec.baits not in ("both", three):
        raise UsageError(f"baits {spec.baits!r}: use both or {three}")
    if spec.umi not in UMI_STYLES:
        raise UsageError(f"umi {spec.umi!r}: use one of {', '.join(UMI_STYLES)}")
    if not spec.sample or any(not (c.isalnum() or c in "._-") for c in spec.sample):
        raise UsageError(f"sample {spec.sample!r}: use letters, digits, . _ -")


def _check_numbers(spec: SimulationSpec) -> None:
    if spec.fusion_fragments is None and spec.assay != "dna":
        raise UsageError("fusion_fragments=None (derive from depth) is for DNA only")
    for name in ("fusion_fragments", "paralog_fragments", "artefact_pairs", "read_through",
                 "intronic_chimeras"):  # fmt: skip
        value = getattr(spec, name)
        if value is not None and value < 0:
            raise UsageError(f"{name} must be >= 0")
    if spec.pcr_copies < 1:
        raise UsageError("pcr_copies must be >= 1 (1: each molecule sequenced once)")
    for name in ("duplicate_rate", "base_error_rate", "tumour_fraction", "umi_error_rate"):
        if not 0 <= getattr(spec, name) <= 1:
            raise UsageError(f"{name} must be between 0 and 1")
    if spec.background < 0:
        raise UsageError("background must be >= 0")
    if spec.read_length < 2 * SPLIT_SIDE + 10:
        raise UsageError(f"read_length must be at least {2 * SPLIT_SIDE + 10}")
    if spec.fragment_mean < spec.read_length:
        raise UsageError("fragment_mean must be at least read_length")


def _check_design(spec: SimulationSpec) -> None:
    """Options that only make sense for some designs."""
    rna_only = ("read_through", "unspanned_fusion", "intronic_chimeras", "stranded")
    for name in rna_only:
        if getattr(spec, name) and spec.assay != "rna":
            raise UsageError(f"{name} is for RNA designs only")
    if spec.design == "wts" and spec.baits != "both":
        raise UsageError("wts has no baits: every gene is sequenced (use --design rna_capture)")
    if spec.design == "amp":
        three = spec.definition.three_prime.gene
        if spec.baits != three:
            raise UsageError(f"amp: primers are modelled in {three} only (baits {three})")
        for name in ("stranded", "single_end", "intronic_chimeras", "unspanned_fusion",
                     "reciprocal", "paralog_fragments", "read_through"):  # fmt: skip
            if getattr(spec, name):
                raise UsageError(f"{name} is not modelled for anchored PCR (amp) reads")
    if spec.umi_error_rate and spec.umi == "none":
        raise UsageError("umi_error_rate needs a UMI style (rx, mi or name)")


def known_partners(spec: SimulationSpec) -> list[str]:
    """Genes that can be the 5' partner: the target's modelled genes on the simulated
    contigs (for ASPSCR1_TFE3: ASPSCR1, PRCC, SFPQ, NONO and the other modelled partners)."""
    models = spec.definition.models(spec.build)
    contigs = CONTIG_LENGTHS[spec.build]
    return [g for g, tx in models.transcripts.items() if tx.chrom in contigs]
