"""The words of the report: the one-sentence result, the interpretation and the references.

Everything here returns plain text (never markup); the HTML layer escapes it.  The sentences
are built only from the result JSON, so the HTML, the PDF and any future text output say the
same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

TARGET = "ASPSCR1::TFE3"

#: What a TFE3 fusion with another partner points to.  Keys are gene symbols as the gene models
#: name them; the value is the sentence fragment the interpretation prints.
_RCC = "TFE3-rearranged (Xp11 translocation) renal cell carcinoma"
PARTNER_MEANING: dict[str, str] = {
    "PRCC": _RCC,
    "SFPQ": _RCC,
    "NONO": _RCC,
    "RBM10": _RCC,
    "MED15": _RCC,
    "CLTC": _RCC,
    "DVL2": f"{_RCC}; DVL2::TFE3 has also been described in rare alveolar soft part sarcomas "
    "without ASPSCR1 involvement [7]",
    "HNRNPH3": "a rare variant of alveolar soft part sarcoma without ASPSCR1 involvement [7]",
    "YAP1": "the YAP1::TFE3 subtype of epithelioid haemangioendothelioma [8]",
}

ASSAY_NAMES = {"rna": "RNA-seq", "dna": "DNA panel"}

CHECKSUM_NAMES = {
    "sha256": "SHA-256 of the whole file",
    "sha256-fingerprint": "SHA-256 fingerprint (file size, first and last MiB, index)",
}

FRAME_WORDS = {
    "in-frame": "in frame",
    "out-of-frame": "out of frame",
    "non-coding": "outside the coding sequence",
    "unknown": "reading frame unknown",
}


@dataclass(frozen=True)
class Reference:
    key: int
    text: str


#: Numbered in the order the report cites them.  The NORD entry carries the date of the
#: version the interpretation was written against.
REFERENCES: tuple[Reference, ...] = (
    Reference(
        1,
        "National Organization for Rare Disorders (NORD). Alveolar Soft Part Sarcoma. NORD Rare "
        "Disease Database (rarediseases.org); report last updated 21 May 2025 (editions 2002, "
        "2017, 2021, 2025).",
    ),
    Reference(
        2,
        "Ladanyi M, Lui MY, Antonescu CR, et al. The der(17)t(X;17)(p11;q25) of human alveolar "
        "soft part sarcoma fuses the TFE3 transcription factor gene to ASPL, a novel gene at "
        "17q25. Oncogene. 2001;20(1):48-57. PMID 11244503.",
    ),
    Reference(
        3,
        "Argani P, Antonescu CR, Illei PB, et al. Primary renal neoplasms with the ASPL-TFE3 "
        "gene fusion of alveolar soft part sarcoma: a distinctive tumor entity previously "
        "included among renal cell carcinomas of children and adolescents. Am J Pathol. "
        "2001;159(1):179-192.",
    ),
    Reference(
        4,
        "Heimann P, El Housni H, Ogur G, et al. Fusion of a novel gene, RCC17, to the TFE3 gene "
        "in t(X;17)(p11.2;q25.3)-bearing papillary renal cell carcinomas. Cancer Res. "
        "2001;61(10):4130-4135.",
    ),
    Reference(
        5,
        "Jaber OI, Kirby PA. Alveolar soft part sarcoma. Arch Pathol Lab Med. "
        "2015;139:1459-1462. PMID 26516944.",
    ),
    Reference(
        6,
        "Folpe AL, Deyrup AT. Alveolar soft-part sarcoma: a review and update. J Clin Pathol. "
        "2006;59:1127-1132.",
    ),
    Reference(
        7,
        "Dickson BC, Chung CTS, Hurlbut DJ, et al. Genetic diversity in alveolar soft part "
        "sarcoma: a subset contain variant fusion genes, highlighting broader molecular kinship "
        "with other MiT family tumors. Genes Chromosomes Cancer. 2020. doi:10.1002/gcc.22803.",
    ),
    Reference(
        8,
        "Antonescu CR, Le Loarer F, Mosquera JM, et al. Novel YAP1-TFE3 fusion defines a "
        "distinct subset of epithelioid hemangioendothelioma. Genes Chromosomes Cancer. "
        "2013;52(8):775-784.",
    ),
)


def refseq(transcript: str | None) -> str | None:
    """The first (RefSeq, when present) ID of a ``"NM_... / ENST..."`` transcript label."""
    if not transcript:
        return None
    return transcript.split("/")[0].strip()


def reported_target(result: dict) -> dict | None:
    """The ASPSCR1::TFE3 record a DETECTED call rests on (first passing target record)."""
    for fusion in result["fusions"]:
        if fusion["kind"] == "target" and fusion["passed"]:
            return fusion
    return None


def other_partner_fusions(result: dict, passed_only: bool = True) -> list[dict]:
    return [
        f
        for f in result["fusions"]
        if f["kind"] == "other_partner" and (f["passed"] or not passed_only)
    ]


def fusion_name(fusion: dict) -> str:
    return f"{fusion['five_prime_gene']}::{fusion['three_prime_gene']}"


def junction_phrase(fusion: dict) -> str:
    """'ASPSCR1 exon 7 joined to TFE3 exon 6 (NM_024083.4 / NM_006521.6), in frame' and, for
    DNA, the introns holding the genomic break first."""
    five, three = fusion["five_prime_gene"], fusion["three_prime_gene"]
    ids = [refseq(fusion["transcript_5p"]), refseq(fusion["transcript_3p"])]
    id_text = f" ({' / '.join(i for i in ids if i)})" if any(ids) else ""
    frame = FRAME_WORDS.get(fusion["reading_frame"], fusion["reading_frame"])
    if fusion["exon_5p"] is not None and fusion["exon_3p"] is not None:
        exons = f"{five} exon {fusion['exon_5p']} joined to {three} exon {fusion['exon_3p']}"
    else:
        exons = f"{five} {fusion['breakpoint_5p']} joined to {three} {fusion['breakpoint_3p']}"
    text = f"{exons}{id_text}, {frame}"
    if fusion["intron_5p"] is not None or fusion["intron_3p"] is not None:
        where = " and ".join(
            f"{gene} intron {n}"
            for gene, n in ((five, fusion["intron_5p"]), (three, fusion["intron_3p"]))
            if n is not None
        )
        text = f"genomic break in {where}, predicting {text}"
    return text


def type_phrase(fusion: dict) -> str:
    """' (corresponds to type 1)' or ''. The literature type is never printed on its own."""
    label = fusion.get("type_label")
    return f" (corresponds to {label})" if label else ""


def result_sentence(result: dict) -> str:
    """The result in one plain sentence."""
    call = result["call"]
    if call == "DETECTED":
        fusion = reported_target(result)
        confidence = result["confidence"] or (fusion or {}).get("confidence", "")
        head = f"{TARGET} fusion DETECTED ({confidence} confidence)"
        if fusion is None:  # a DETECTED call always rests on a passing record; be explicit
            return f"{head}: {result['call_reason']}"
        return f"{head}: {junction_phrase(fusion)}{type_phrase(fusion)}."
    if call == "NOT_DETECTED":
        return f"{TARGET} fusion NOT DETECTED. {result['sensitivity']['statement']}".strip()
    return (
        f"{TARGET} fusion status INDETERMINATE: {result['call_reason']}. "
        "This result neither confirms nor excludes the fusion."
    ).replace("..", ".")


def additional_findings(result: dict) -> list[str]:
    """Sentences printed under the result: other TFE3 partners, suspected rearrangement."""
    lines = []
    for fusion in other_partner_fusions(result):
        lines.append(
            f"Also found: {fusion_name(fusion)} ({junction_phrase(fusion)}; "
            f"{fusion['supporting_fragments']} supporting fragments). This is not {TARGET}."
        )
    if result["tfe3_imbalance"]["status"] == "imbalanced" and result["call"] != "DETECTED":
        lines.append(
            "TFE3 rearrangement suspected: TFE3 exon coverage is imbalanced without reads "
            "across a junction. " + result["tfe3_imbalance"]["statement"]
        )
    for brk in result["unresolved_tfe3_breaks"]:
        lines.append(
            f"{brk['reads']} reads break at the start of TFE3 exon {brk['exon_3p']} "
            f"({brk['breakpoint_3p']}) with sequence of no known partner."
        )
    return lines


def _partner_of_tfe3(fusion: dict) -> str | None:
    if fusion["three_prime_gene"] == "TFE3":
        return fusion["five_prime_gene"]
    if fusion["five_prime_gene"] == "TFE3":
        return fusion["three_prime_gene"]
    return None


def partner_meaning(fusion: dict) -> str:
    """One sentence on what a non-ASPSCR1::TFE3 fusion points to."""
    name = fusion_name(fusion)
    partner = _partner_of_tfe3(fusion)
    if partner is None:
        return (
            f"{name} does not involve TFE3; it is not the ASPS fusion and its significance here "
            "is uncertain."
        )
    meaning = PARTNER_MEANING.get(partner)
    if meaning:
        return f"{name} points to {meaning}."
    return (
        f"{name}: TFE3 is joined to a locus with no annotated partner gene ({partner}). A TFE3 "
        "rearrangement with an unidentified partner is seen in TFE3-rearranged renal cell "
        "carcinoma and other MiT-family tumours; confirm with TFE3 break-apart FISH."
    )


def interpretation(result: dict) -> list[tuple[str, list[str]]]:
    """Titled paragraphs of the interpretation, in reading order."""
    call = result["call"]
    out: list[tuple[str, list[str]]] = []

    background = (
        "Alveolar soft part sarcoma (ASPS) carries an unbalanced translocation, "
        "der(17)t(X;17)(p11;q25), that places the 3' part of TFE3 (Xp11.23) after the 5' part "
        "of ASPSCR1 (17q25.3) and so creates the ASPSCR1::TFE3 fusion gene. The NORD report on "
        "ASPS (last updated 21 May 2025) [1] describes this event in essentially all tumours "
        "diagnosed as ASPS and states that detecting the fusion confirms the diagnosis; "
        "Ladanyi et al. (Oncogene 2001) [2] first described the fusion (ASPSCR1 was then "
        "named ASPL) and its two junction types."
    )
    if call == "DETECTED":
        meaning = (
            "The ASPSCR1::TFE3 junction found in this sample is the fusion produced by this "
            "translocation. In a soft tissue tumour with compatible morphology it supports the "
            "diagnosis of ASPS."
        )
    elif call == "NOT_DETECTED":
        meaning = (
            "No ASPSCR1::TFE3 junction was found although coverage at both junction regions "
            "was sufficient for the sensitivity stated in the result. A negative result does "
            "not exclude ASPS: a fusion present in fewer tumour cells than stated, a break "
            "outside the assessed junctions, or poor sample quality may escape detection."
        )
    else:
        meaning = (
            "This sample could not be assessed reliably, so the presence or absence of the "
            "fusion is not established by this test. Repeat on another sample or use an "
            "orthogonal method (FISH, RT-PCR)."
        )
    out.append(("The ASPS translocation", [background, meaning]))

    reciprocal = result["reciprocal"]
    rcc = (
        "The same ASPSCR1::TFE3 fusion also occurs, as a balanced t(X;17)(p11.2;q25) "
        "translocation, in TFE3-rearranged renal cell carcinoma (Argani et al. 2001 [3]; "
        "Heimann et al. 2001 [4]). The fusion alone therefore does not distinguish the two "
        "tumours; the clinical setting and histology do."
    )
    status = reciprocal["status"]
    if status == "present":
        recip = (
            f"Reciprocal TFE3::ASPSCR1 evidence was found ({reciprocal['fragments']} "
            "fragments). This points to a balanced translocation, as in TFE3-rearranged renal "
            "cell carcinoma, and is not expected in the unbalanced der(17) of ASPS."
        )
    elif status == "absent":
        recip = (
            "No reciprocal TFE3::ASPSCR1 evidence was found. This is expected in the "
            "unbalanced der(17) of ASPS, but absence alone is not diagnostic: the reciprocal "
            "is not always expressed in renal carcinoma either."
        )
    else:
        recip = "Reciprocal TFE3::ASPSCR1 evidence was not assessed."
    if status != "absent":  # the scan's own words carry the counts or the reason
        recip = f"{recip} Scan: {reciprocal['statement']}"
    out.append(("ASPSCR1::TFE3 in renal cell carcinoma", [rcc, recip]))

    others = other_partner_fusions(result)
    if others:
        paras = [partner_meaning(f) for f in others]
        paras.append(
            "A TFE3 fusion with a partner other than ASPSCR1 is never reported as ASPSCR1::TFE3."
        )
    else:
        paras = ["No TFE3 fusion with another partner passed the support rules."]
    imbalance = result["tfe3_imbalance"]
    paras.append(f"TFE3 exon balance: {imbalance['statement']}")
    if imbalance["status"] == "imbalanced" and call != "DETECTED":
        paras.append(
            "An imbalance without junction reads means a TFE3 rearrangement is suspected, not "
            "detected; TFE3 break-apart FISH can resolve it."
        )
    out.append(("Other TFE3 rearrangements", paras))

    out.append(
        (
            "Place of this result",
            [
                "This is a molecular result that supports, and does not replace, histology, "
                "TFE3 immunohistochemistry and TFE3 FISH. It must be interpreted by a "
                "pathologist together with the morphology, the immunophenotype and the clinical "
                "context [5, 6]."
            ],
        )
    )
    return out


def method_text(result: dict) -> list[str]:
    """Method and limitations, as plain paragraphs."""
    assay = ASSAY_NAMES.get(result["assay"], result["assay"])
    th = result["thresholds"]
    paras = [
        f"fusioncheck {result['tool']['version']} read only the ASPSCR1 and TFE3 regions "
        f"(gene span plus flank) of the {assay} alignment file through its index. Evidence is "
        "counted once per fragment, duplicates excluded: reads split across the junction "
        "(supplementary alignments or soft clips matched to the partner gene) and read pairs "
        "with one mate in each gene. Each filter named in the evidence table marks the "
        "artefact it removes.",
        "A junction passes when it has at least "
        f"{th.get('min_support', '?')} supporting fragments, at least "
        f"{th.get('min_split_reads', '?')} of them reads across the junction. NOT DETECTED is "
        "reported only when coverage at both junction regions would have shown a fusion "
        f"present in {_percent(th.get('negative_max_fraction'))} of molecules or fewer; "
        "otherwise the result is INDETERMINATE.",
        "Exons are numbered on the versioned transcripts NM_024083.4 / ENST00000306739 "
        "(ASPSCR1) and NM_006521.6 / ENST00000315869 (TFE3). Breakpoints are 1-based: the last "
        "base of the 5' partner kept and the first base of the 3' partner kept, in "
        "transcription order. The literature's type 1 and type 2 junctions are mapped to "
        "current exon numbers by inference (type 1 = ASPSCR1 exon 7 :: TFE3 exon 6, type 2 = "
        "exon 7 :: exon 5) and printed only as a correspondence.",
    ]
    limits = [
        "The sensitivity is a model (Poisson sampling at the observed coverage), not a limit "
        "of detection validated on patient material.",
        "Breaks outside the known ASPS junctions, fusions present in few cells, degraded RNA "
        "and low tumour content reduce sensitivity.",
        "Soft-clipped evidence can only be checked when the genome FASTA was given; reads "
        "left unmapped by the aligner are not rescued.",
        "A fusion transcript does not distinguish ASPS from TFE3-rearranged renal cell "
        "carcinoma; reciprocal evidence is supportive only.",
        "This software has not been validated as a medical device; each laboratory must "
        "validate it for its own assay.",
    ]
    return paras + ["Limitations: " + " ".join(limits)]


def _percent(value: object) -> str:
    if isinstance(value, (int, float)):
        return f"{value * 100:g}%"
    return "the configured fraction"


def fmt_number(value: object, digits: int = 3) -> str:
    """A number as a report prints it; None as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
