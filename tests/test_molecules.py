"""molecules: which molecule a read came from (UMI tags, read names, outer ends), and counting
molecules when UMIs carry sequencing errors."""

from __future__ import annotations

import pysam
import pytest

from builders import header
from fusioncheck.molecules import MoleculeKeys, count

HEADER = pysam.AlignmentHeader.from_dict(header())
CHR17, CHRX = HEADER.get_tid("chr17"), HEADER.get_tid("chrX")


def read(
    name: str = "r1",
    pos: int = 1000,
    reverse: bool = False,
    mate: tuple[int, int, bool] | None = (CHRX, 5000, True),
    tags: dict[str, str] | None = None,
) -> pysam.AlignedSegment:
    """A 100M read on chr17 at 0-based ``pos``; ``mate`` = (tid, 0-based pos, reverse)."""
    r = pysam.AlignedSegment(HEADER)
    r.query_name = name
    r.reference_id, r.reference_start, r.cigarstring = CHR17, pos, "100M"
    r.query_sequence = "A" * 100
    flag = 0x10 if reverse else 0
    if mate is not None:
        flag |= 0x1 | 0x40 | (0x20 if mate[2] else 0)
        r.next_reference_id, r.next_reference_start = mate[0], mate[1]
    r.flag = flag
    for k, v in (tags or {}).items():
        r.set_tag(k, v)
    return r


def test_rx_tag_is_the_umi():
    keys = MoleculeKeys("auto")
    assert keys.key(read(tags={"RX": "ACGT-TTGA"})) == "umi:ACGT-TTGA"
    assert (keys.with_umi, keys.asked) == (1, 1)
    assert keys.identity == "UMI (RX or MI tag)"


def test_rx_wins_over_mi_in_auto_mode():
    assert MoleculeKeys("auto").key(read(tags={"RX": "AAAA", "MI": "7"})) == "umi:AAAA"
    assert MoleculeKeys("MI").key(read(tags={"RX": "AAAA", "MI": "7"})) == "umi:7"


def test_mi_duplex_strands_are_one_molecule():
    keys = MoleculeKeys("MI")
    assert keys.key(read(tags={"MI": "12/A"})) == "umi:12"
    assert keys.key(read(tags={"MI": "12/B"})) == "umi:12"
    assert keys.key(read(tags={"MI": "13"})) == "umi:13"
    assert keys.identity == "UMI (MI tag)"


def test_umi_at_the_end_of_the_read_name():
    keys = MoleculeKeys("name")
    assert keys.key(read(name="M0:1:FC:1:11:22_ACGTACGT")) == "umi:ACGTACGT"
    assert keys.key(read(name="frag_7_GGCC")) == "umi:GGCC"  # the last separator
    assert MoleculeKeys("name", ":").key(read(name="frag:TTAA")) == "umi:TTAA"
    assert keys.identity == "UMI (read name)"


def test_read_name_umis_are_only_taken_when_asked():
    assert MoleculeKeys("auto").key(read(name="frag_GGCC")).startswith("pos:")


def test_none_mode_ignores_umi_tags():
    keys = MoleculeKeys("none")
    assert keys.key(read(tags={"RX": "ACGT"})) == f"pos:{CHR17}:1000:False|{CHRX}:5000:True"
    assert (keys.with_umi, keys.identity) == (0, "outer read ends (no UMI)")


def test_outer_ends_are_the_same_from_either_mate():
    own = read(pos=1000, reverse=False, mate=(CHRX, 5000, True))
    # its mate: on chrX at 5000 reverse, pointing back at chr17:1000 forward
    mate = pysam.AlignedSegment(HEADER)
    mate.query_name = "r1"
    mate.reference_id, mate.reference_start, mate.cigarstring = CHRX, 5000, "100M"
    mate.query_sequence = "A" * 100
    mate.flag = 0x1 | 0x80 | 0x10
    mate.next_reference_id, mate.next_reference_start = CHR17, 1000
    keys = MoleculeKeys("auto")
    assert keys.key(own) == keys.key(mate) == f"pos:{CHR17}:1000:False|{CHRX}:5000:True"


def test_outer_ends_tell_apart_strand_and_position_and_single_reads():
    keys = MoleculeKeys("auto")
    a = keys.key(read(pos=1000))
    assert keys.key(read(pos=1001)) != a
    assert keys.key(read(pos=1000, reverse=True)) != a
    assert keys.key(read(mate=(CHRX, 5000, False))) != a
    assert keys.key(read(pos=1000, mate=None)) == f"pos:{CHR17}:1000:False"


@pytest.mark.parametrize(
    ("keys", "mismatches", "molecules"),
    [
        (["umi:AAAA"] * 40 + ["umi:AAAT"], 1, 1),  # the rare one is an error of the common one
        (["umi:AAAA"] * 40 + ["umi:AAAT"], 0, 2),  # exact UMIs only
        (["umi:AAAA", "umi:AATT"], 1, 2),  # two substitutions apart: two molecules
        # Greedy from the most frequent: AAAT merges into AAAA and is no molecule of its own,
        # so AATT (one from AAAT, two from AAAA) is a second molecule.
        (["umi:AAAA"] * 3 + ["umi:AAAT"] * 2 + ["umi:AATT"], 1, 2),
        (["umi:AAAA", "umi:AAAC", "umi:AAAG"], 1, 1),
        (["pos:1:2:False", "pos:1:3:False"], 1, 2),  # outer ends are never merged
        ([], 1, 0),
    ],
)
def test_count_merges_umis_one_substitution_apart(keys, mismatches, molecules):
    assert count(keys, mismatches) == molecules
