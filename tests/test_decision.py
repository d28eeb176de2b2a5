"""decision.decide: literal facts in, a literal decision out, for every rule and their order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fusioncheck.assess import detectable_fraction, poisson_at_least
from fusioncheck.config import Thresholds
from fusioncheck.decision import Decision, Facts, decide
from fusioncheck.model import FusionRecord

T = Thresholds()  # min_support 3, max_unmatched_junction_clips 2, negative_max_fraction 0.10


def record(fragments: int, split: int, spanning: int, passed: bool) -> FusionRecord:
    return FusionRecord(
        five_prime_gene="ASPSCR1", three_prime_gene="TFE3", kind="target",
        breakpoint_5p="chr17:81996846", breakpoint_3p="chrX:49034251",
        side_5p="below", side_3p="below", breakpoint_precision="exact", canonical=True,
        exon_5p=7, exon_3p=6, intron_5p=None, intron_3p=None,
        transcript_5p="ENST00000306739.8", transcript_3p="ENST00000315869.7",
        split_reads=split, spanning_pairs=spanning, supporting_fragments=fragments,
        supporting_reads=fragments, reading_frame="in-frame",
        confidence="high" if passed else "low", type_label="type 1", reported_type=True,
        fusion_protein=None, filters={}, passed=passed,
    )  # fmt: skip


#: A well-covered RNA negative: every rule passes, the call is NOT_DETECTED.
NEGATIVE = Facts(
    fusion="ASPSCR1::TFE3",
    genes=("ASPSCR1", "TFE3"),
    detected=None,
    blocking=None,
    listed=None,
    reads_in_windows=5000,
    imbalanced=False,
    unchecked_clips=0,
    unchecked_unmapped=0,
    has_fasta=True,
    unmatched_junction_clips=0,
    detectable_fraction=0.05,
    required_fraction=0.10,
    rna=True,
)
CLEAN = "no ASPSCR1::TFE3 junction read, with coverage enough to have seen one"
NO_READS = "no reads in the ASPSCR1 and TFE3 windows"
BELOW = "ASPSCR1::TFE3 evidence below the detection threshold: 2 molecules (3 needed)"
IMBALANCE = (
    "TFE3 rearrangement suspected: TFE3 3' exons are over-represented against its 5' exons, "
    "but no junction read shows the partner; confirm by FISH or another assay"
)
UNCHECKED = (
    "4 soft-clipped and 1 unmapped reads at the loci could not be checked for a fusion junction "
    "without the genome FASTA: rerun with --reference"
)
UNMATCHED = (
    "3 reads at the junction exons are soft-clipped by sequence that matches no known gene: a "
    "fusion with a partner the resources do not hold, or a FASTA other than the one the reads "
    "were aligned to; check the FASTA and the clipped reads"
)
LOW_25 = (
    "coverage at the junction is too low to exclude the fusion (a fusion would need to be in at "
    "least 25% of transcripts to be seen; NOT_DETECTED needs 10% or less)"
)


def indeterminate(reason: str) -> Decision:
    return Decision("INDETERMINATE", None, reason)


def test_a_well_covered_sample_without_evidence_is_not_detected():
    assert decide(NEGATIVE, T) == Decision("NOT_DETECTED", None, CLEAN)


def test_passing_evidence_is_detected_with_its_confidence_and_counts():
    facts = replace(NEGATIVE, detected=record(5, 3, 2, passed=True))
    assert decide(facts, T) == Decision(
        "DETECTED",
        "high",
        "5 supporting molecules (3 with a read across the junction, 2 spanning pairs) join "
        "chr17:81996846 to chrX:49034251",
    )


def test_detected_wins_over_every_reason_for_doubt():
    doubtful = replace(
        NEGATIVE, blocking=record(2, 1, 1, passed=False), imbalanced=True, has_fasta=False,
        unchecked_clips=4, unmatched_junction_clips=9, detectable_fraction=None,
    )  # fmt: skip
    facts = replace(doubtful, detected=record(3, 1, 2, passed=True))
    assert decide(facts, T).call == "DETECTED"


def test_no_reads_comes_first():
    facts = replace(
        NEGATIVE, reads_in_windows=0, blocking=record(2, 1, 1, False), detectable_fraction=None
    )
    assert decide(facts, T) == indeterminate(NO_READS)


def test_sub_threshold_evidence_that_could_be_the_fusion_blocks_a_negative():
    facts = replace(NEGATIVE, blocking=record(2, 1, 1, passed=False))
    assert decide(facts, T) == indeterminate(BELOW)


def test_enough_molecules_but_no_read_across_the_junction_says_so():
    facts = replace(NEGATIVE, blocking=record(4, 0, 4, passed=False))
    assert decide(facts, T) == indeterminate(
        "ASPSCR1::TFE3 evidence below the detection threshold: only 0 molecules with a read "
        "across the junction"
    )


def test_listed_noise_does_not_block_a_negative_but_is_mentioned():
    facts = replace(NEGATIVE, listed=record(1, 1, 0, passed=False))
    assert decide(facts, T) == Decision(
        "NOT_DETECTED",
        None,
        CLEAN + "; 1 chimeric molecule(s) away from any junction the fusion uses are listed, "
        "consistent with background chimeras",
    )


def test_sub_threshold_comes_before_imbalance():
    facts = replace(NEGATIVE, blocking=record(2, 1, 1, passed=False), imbalanced=True)
    assert decide(facts, T) == indeterminate(BELOW)


def test_imbalance_without_junction_reads_is_indeterminate():
    assert decide(replace(NEGATIVE, imbalanced=True), T) == indeterminate(IMBALANCE)


def test_imbalance_comes_before_unchecked_clips():
    facts = replace(
        NEGATIVE, imbalanced=True, has_fasta=False, unchecked_clips=4, unchecked_unmapped=1
    )
    assert decide(facts, T) == indeterminate(IMBALANCE)


def test_clips_unchecked_without_a_fasta_are_indeterminate():
    facts = replace(NEGATIVE, has_fasta=False, unchecked_clips=4, unchecked_unmapped=1)
    assert decide(facts, T) == indeterminate(UNCHECKED)


def test_no_fasta_but_nothing_to_check_is_a_negative():
    assert decide(replace(NEGATIVE, has_fasta=False), T) == Decision("NOT_DETECTED", None, CLEAN)


def test_unchecked_clips_come_before_unmatched_and_coverage():
    facts = replace(
        NEGATIVE, has_fasta=False, unchecked_clips=4, unchecked_unmapped=1,
        unmatched_junction_clips=3, detectable_fraction=0.25,
    )  # fmt: skip
    assert decide(facts, T) == indeterminate(UNCHECKED)


def test_unmatched_junction_clips_above_the_limit_are_indeterminate():
    assert decide(replace(NEGATIVE, unmatched_junction_clips=3), T) == indeterminate(UNMATCHED)


def test_unmatched_junction_clips_at_the_limit_are_tolerated():
    facts = replace(NEGATIVE, unmatched_junction_clips=2)
    assert decide(facts, T) == Decision("NOT_DETECTED", None, CLEAN)


def test_unmatched_comes_before_coverage():
    facts = replace(NEGATIVE, unmatched_junction_clips=3, detectable_fraction=0.25)
    assert decide(facts, T) == indeterminate(UNMATCHED)


def test_coverage_too_low_states_the_fraction_it_would_take():
    assert decide(replace(NEGATIVE, detectable_fraction=0.25), T) == indeterminate(LOW_25)


def test_coverage_exactly_at_the_required_fraction_is_enough():
    facts = replace(NEGATIVE, detectable_fraction=0.10)
    assert decide(facts, T) == Decision("NOT_DETECTED", None, CLEAN)


def test_a_fraction_above_one_says_not_even_every_allele_would_do():
    facts = replace(NEGATIVE, detectable_fraction=1.5, rna=False)
    assert decide(facts, T) == indeterminate(
        "coverage at the junction is too low to exclude the fusion (not even a fusion in all "
        "alleles would reliably give 3 molecules; NOT_DETECTED needs 10% or less)"
    )


def test_no_informative_molecules_is_indeterminate():
    facts = replace(NEGATIVE, detectable_fraction=None)
    assert decide(facts, T) == indeterminate(
        "coverage at the junction is too low to exclude the fusion (no informative molecules; "
        "NOT_DETECTED needs 10% or less)"
    )


@pytest.mark.parametrize(
    ("fraction", "required", "call"),
    [
        (0.12, 0.15, "NOT_DETECTED"),  # tumour content 0.3: fusion in 15 % of transcripts
        (0.08, 0.05, "INDETERMINATE"),  # tumour content 0.1: 5 % needed, 8 % reachable
        (0.08, 0.10, "NOT_DETECTED"),  # no tumour content: the default 10 %
    ],
)
def test_the_required_fraction_from_tumour_content_decides(fraction, required, call):
    facts = replace(NEGATIVE, detectable_fraction=fraction, required_fraction=required)
    assert decide(facts, T).call == call


def test_tumour_content_reason_names_the_required_fraction():
    facts = replace(NEGATIVE, detectable_fraction=0.08, required_fraction=0.05)
    assert decide(facts, T) == indeterminate(
        "coverage at the junction is too low to exclude the fusion (a fusion would need to be in "
        "at least 8% of transcripts to be seen; NOT_DETECTED needs 5% or less)"
    )


def test_poisson_tail_literals():
    assert poisson_at_least(0, 2.0) == 1.0
    assert poisson_at_least(1, 2.0) == pytest.approx(0.864665, abs=1e-6)  # 1 - e^-2
    assert poisson_at_least(3, 6.2958) == pytest.approx(0.95, abs=1e-5)


def test_detectable_fraction_literals():
    # P(Poisson(6.2958) >= 3) = 0.95: 100 informative molecules see a 6.3 % fusion.
    assert detectable_fraction(100, 3, 0.95) == pytest.approx(0.062958, abs=1e-6)
    assert detectable_fraction(10, 3, 0.95) == pytest.approx(0.62958, abs=1e-5)
    assert detectable_fraction(4, 3, 0.95) == pytest.approx(1.57395, abs=1e-5)  # above 1
    # One molecule needed: -ln(0.05) = 2.9957 expected molecules.
    assert detectable_fraction(1000, 1, 0.95) == pytest.approx(0.0029957, abs=1e-7)
    assert detectable_fraction(0, 3, 0.95) is None
