"""The words of the report: the one-sentence result, the interpretation and the references.

Everything here returns plain text (never markup); the HTML layer escapes it.  The sentences
are built only from the result JSON, so the HTML, the PDF and any future text output say the
same thing.
"""

from __future__ import annotations

from typing import Any

from fusioncheck.genes import GeneModels
from fusioncheck.model import reported_target
from fusioncheck.report.interpretation import load as _interp
from fusioncheck.target import load_target

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


def refseq(transcript: str | None) -> str | None:
    """The first (RefSeq, when present) ID of a ``"NM_... / ENST..."`` transcript label."""
    if not transcript:
        return None
    return transcript.split("/")[0].strip()


def other_partner_fusions(result: dict[str, Any], passed_only: bool = True) -> list[dict[str, Any]]:
    return [
        f
        for f in result["fusions"]
        if f["kind"] == "other_partner" and (f["passed"] or not passed_only)
    ]


def fusion_name(fusion: dict[str, Any]) -> str:
    return f"{fusion['five_prime_gene']}::{fusion['three_prime_gene']}"


def type_note(fusion: dict[str, Any]) -> str | None:
    """'in frame, not a reported ASPS type' for an in-frame target join at an exon the
    literature types do not use (ASPSCR1 ex7::TFE3 ex4); None otherwise.  The scan leaves
    ``type_label`` empty for such joins, so the report computes the note itself."""
    interp = _interp()
    if fusion["kind"] != "target" or fusion.get("type_label"):
        return None
    if fusion["reading_frame"] != "in-frame" or fusion["exon_3p"] is None:
        return None
    if fusion["exon_3p"] in interp.literature_types:
        return None
    return interp.statements["ex4_note"]


def junction_phrase(fusion: dict[str, Any]) -> str:
    """'ASPSCR1 exon 7 joined to TFE3 exon 6 (NM_024083.4 / NM_006521.6), in frame' and, for
    DNA, the introns holding the genomic break first.  The IDs are the result's own."""
    five, three = fusion["five_prime_gene"], fusion["three_prime_gene"]
    ids = [refseq(fusion["transcript_5p"]), refseq(fusion["transcript_3p"])]
    id_text = f" ({' / '.join(i for i in ids if i)})" if any(ids) else ""
    frame = type_note(fusion) or FRAME_WORDS.get(fusion["reading_frame"], fusion["reading_frame"])
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


def type_phrase(fusion: dict[str, Any]) -> str:
    """' (corresponds to type 1)' or ''. The literature type is never printed on its own."""
    label = fusion.get("type_label")
    return f" (corresponds to {label})" if label else ""


def type_text(fusion: dict[str, Any]) -> str | None:
    """The literature-type cell of the evidence table: a correspondence, or the ex4 note."""
    if fusion.get("type_label"):
        return f"corresponds to {fusion['type_label']}"
    return type_note(fusion)


def target_name() -> str:
    return _interp().target


def result_sentence(result: dict[str, Any]) -> str:
    """The result in one plain sentence."""
    call, target = result["call"], target_name()
    if call == "DETECTED":
        fusion = reported_target(result)
        confidence = result["confidence"] or (fusion or {}).get("confidence", "")
        head = f"{target} fusion DETECTED ({confidence} confidence)"
        if fusion is None:  # a DETECTED call always rests on a passing record; be explicit
            return f"{head}: {result['call_reason']}"
        return f"{head}: {junction_phrase(fusion)}{type_phrase(fusion)}."
    if call == "NOT_DETECTED":
        return f"{target} fusion NOT DETECTED. {result['sensitivity']['statement']}".strip()
    return (
        f"{target} fusion status INDETERMINATE: {result['call_reason']}. "
        "This result neither confirms nor excludes the fusion."
    ).replace("..", ".")


def additional_findings(result: dict[str, Any]) -> list[str]:
    """Sentences printed under the result: other TFE3 partners, suspected rearrangement."""
    lines = []
    for fusion in other_partner_fusions(result):
        lines.append(
            f"Also found: {fusion_name(fusion)} ({junction_phrase(fusion)}; "
            f"{fusion['supporting_fragments']} supporting fragments). "
            f"This is not {target_name()}."
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


def _partner_of_tfe3(fusion: dict[str, Any]) -> str | None:
    three = _interp().three_prime
    if fusion["three_prime_gene"] == three:
        return str(fusion["five_prime_gene"])
    if fusion["five_prime_gene"] == three:
        return str(fusion["three_prime_gene"])
    return None


def partner_meaning(fusion: dict[str, Any]) -> str:
    """What a non-ASPSCR1::TFE3 fusion points to, for every site the literature reports."""
    interp, name = _interp(), fusion_name(fusion)
    partner = _partner_of_tfe3(fusion)
    if partner is None:
        return interp.say("partner_not_tfe3", fusion=name)
    return interp.partner_sentence(name, partner) or interp.say(
        "partner_unknown", fusion=name, partner=partner
    )


def reciprocal_statement(result: dict[str, Any]) -> str:
    """The report's own words for ``reciprocal.status`` (the JSON statement is not echoed)."""
    reciprocal = result["reciprocal"]
    status = reciprocal["status"]
    return _interp().say(f"reciprocal_{status}", fragments=reciprocal["fragments"])


def _translocation_paragraphs(result: dict[str, Any]) -> list[str]:
    interp = _interp()
    meaning = {"DETECTED": "meaning_detected", "NOT_DETECTED": "meaning_not_detected"}
    paras = [
        interp.say("background"),
        interp.say(meaning.get(result["call"], "meaning_indeterminate")),
    ]
    target = reported_target(result)
    if target is not None and type_note(target):
        paras.append(interp.say("ex4_sentence"))
    return paras


def _other_partner_paragraphs(result: dict[str, Any]) -> list[str]:
    interp = _interp()
    others = other_partner_fusions(result)
    if others:
        paras = [partner_meaning(f) for f in others] + [interp.say("partner_other")]
    else:
        paras = ["No TFE3 fusion with another partner passed the support rules."]
    imbalance = result["tfe3_imbalance"]
    paras.append(f"TFE3 exon balance: {imbalance['statement']}")
    if imbalance["status"] == "imbalanced" and result["call"] != "DETECTED":
        paras.append(interp.say("imbalance_suspected"))
    return paras


def interpretation(result: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Titled paragraphs of the interpretation, in reading order."""
    interp = _interp()
    return [
        ("The ASPS translocation", _translocation_paragraphs(result)),
        (
            "ASPSCR1::TFE3 beyond ASPS, and the reciprocal",
            [interp.say("not_specific"), reciprocal_statement(result)],
        ),
        ("Other TFE3 rearrangements", _other_partner_paragraphs(result)),
        ("What TFE3 FISH can and cannot settle", [interp.say("fish")]),
        ("Place of this result", [interp.say("place")]),
    ]


def transcript_labels(result: dict[str, Any], models: GeneModels) -> tuple[str, str]:
    """The versioned transcripts of the target genes, as the result names them
    (``transcript_5p``/``transcript_3p`` of a target record); a result without one names
    none, so the gene models the report draws with stand in."""
    for fusion in result["fusions"]:
        if fusion["kind"] == "target" and fusion["transcript_5p"] and fusion["transcript_3p"]:
            return fusion["transcript_5p"], fusion["transcript_3p"]
    target = load_target()
    return models[target.five_prime.gene].label, models[target.three_prime.gene].label


def method_text(result: dict[str, Any], models: GeneModels) -> list[str]:
    """Method and limitations, as plain paragraphs."""
    interp = _interp()
    assay = ASSAY_NAMES.get(result["assay"], result["assay"])
    th = result["thresholds"]
    tx5, tx3 = transcript_labels(result, models)
    types = ", ".join(
        f"{label} = {interp.five_prime} exon 7 :: {interp.three_prime} exon {exon}"
        for exon, label in sorted(interp.literature_types.items(), key=lambda kv: kv[1])
    )
    paras = [
        f"fusioncheck {result['tool']['version']} read only the {interp.five_prime} and "
        f"{interp.three_prime} regions (gene span plus flank) of the {assay} alignment file "
        "through its index. Evidence is counted once per fragment, duplicates excluded: reads "
        "split across the junction (supplementary alignments or soft clips matched to the "
        "partner gene) and read pairs with one mate in each gene. Each filter named in the "
        "evidence table marks the artefact it removes.",
        "A junction passes when it has at least "
        f"{th.get('min_support', '?')} supporting fragments, at least "
        f"{th.get('min_split_reads', '?')} of them reads across the junction. NOT DETECTED is "
        "reported only when coverage at both junction regions would have shown a fusion "
        f"present in {_percent(th.get('negative_max_fraction'))} of molecules or fewer; "
        "otherwise the result is INDETERMINATE.",
        f"Exons are numbered on the versioned transcripts {tx5} ({interp.five_prime}) and "
        f"{tx3} ({interp.three_prime}). Breakpoints are 1-based: the last base of the 5' partner "
        "kept and the first base of the 3' partner kept, in transcription order. The "
        f"literature's junction types are mapped to current exon numbers by inference ({types}) "
        "and printed only as a correspondence; an in-frame join at another exon is called "
        f'"{interp.statements["ex4_note"]}".',
        interp.say("transcripts_mane"),
        interp.say("exon_eras"),
    ]
    return paras + ["Limitations: " + " ".join(_limits())]


def _limits() -> list[str]:
    return [
        "The sensitivity is a model (Poisson sampling at the observed coverage), not a limit "
        "of detection validated on patient material.",
        "Breaks outside the known ASPS junctions, fusions present in few cells, degraded RNA "
        "and low tumour content reduce sensitivity.",
        "Soft-clipped evidence can only be checked when the genome FASTA was given.",
        "The fusion does not distinguish ASPS from TFE3-rearranged renal cell carcinoma or "
        "TFE3-rearranged PEComa, and reciprocal evidence does not either.",
        "This software has not been validated as a medical device; each laboratory must "
        "validate it for its own assay.",
    ]


def references() -> list[str]:
    """The numbered reference list, in citation-number order."""
    return [r.text for r in _interp().references]


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
