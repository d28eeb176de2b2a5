"""Property: whatever reads, CIGARs and tags (malformed SA and MC tags included) sit around the
windows, ``scan`` finishes with a valid call, never counts more supporting molecules than there
are fragments, and counts every read with a malformed tag under ``malformed_tag``."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import BamBuilder, validate
from fusioncheck.scan import scan

LOCI = {"chr17": (81_975_000, 82_020_000), "chrX": (49_026_000, 49_046_000)}

cigars = st.one_of(
    st.just("100M"),
    st.builds(lambda a: f"{a}M{100 - a}S", st.integers(1, 99)),
    st.builds(lambda a: f"{100 - a}S{a}M", st.integers(1, 99)),
    st.builds(lambda a, n: f"{a}M{n}N{100 - a}M", st.integers(1, 99), st.integers(1, 20_000)),
    st.builds(lambda a: f"{a}M{100 - a}H", st.integers(1, 99)),
)
loci = st.sampled_from(sorted(LOCI)).flatmap(lambda c: st.tuples(st.just(c), st.integers(*LOCI[c])))
#: Tag values that do not follow the SAM specification.
bad_sa = st.sampled_from(
    ["garbage", "chr17,1,+,50M,xx,0;", "chr17,1,+,50M,60;", "chr17,1,+,50M,60,0,1;",
     "chr17,1,?,50M,60,0;", "chr17,1,+,50Q,60,0;", "chr17,0,+,50M,60,0;", ";"]
)  # fmt: skip
bad_mc = st.sampled_from(["", "100", "M100", "10M*", "abc"])
records = st.fixed_dictionaries(
    {
        "name": st.integers(0, 15).map(lambda i: f"frag{i}"),
        "locus": loci,
        "cigar": cigars,
        "reverse": st.booleans(),
        "flag": st.sampled_from([0, 0x400, 0x800, 0x100, 0x200, 0x2]),
        "mapq": st.sampled_from([0, 3, 60, 255]),
        "sa": st.one_of(
            st.none(), st.tuples(loci, cigars, st.booleans(), st.integers(0, 60)), bad_sa
        ),
        "mc": st.one_of(st.none(), cigars, bad_mc),
        "mate": st.one_of(st.none(), st.tuples(loci, st.booleans())),
        "read1": st.booleans(),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, max_size=40))
def test_scan_never_crashes_and_never_overcounts(recs):
    b = BamBuilder()
    for r in recs:
        tags = {}
        if isinstance(r["sa"], str):
            tags["SA"] = r["sa"]
        elif r["sa"] is not None:
            (chrom, pos), cigar, rev, mapq = r["sa"]
            tags["SA"] = f"{chrom},{pos},{'-' if rev else '+'},{cigar},{mapq},0;"
        if r["mc"] is not None and r["mate"] is not None:
            tags["MC"] = r["mc"]
        mate = None
        if r["mate"] is not None:
            (chrom, pos), rev = r["mate"]
            mate = (chrom, pos, rev)
        chrom, pos = r["locus"]
        b.add(
            r["name"], chrom, pos, r["cigar"], reverse=r["reverse"], flag=r["flag"],
            mapq=r["mapq"], tags=tags, mate=mate, read1=r["read1"],
        )  # fmt: skip
    fragments = {r["name"] for r in recs}
    with tempfile.TemporaryDirectory() as tmp:
        result = scan(b.write(Path(tmp) / "p.bam"), sample="p")
    validate(result)
    assert result["call"] in ("DETECTED", "NOT_DETECTED", "INDETERMINATE")
    for fusion in result["fusions"]:
        assert fusion["supporting_fragments"] <= len(fragments)
        assert fusion["split_reads"] + fusion["spanning_pairs"] == fusion["supporting_fragments"]
        assert fusion["supporting_fragments"] <= fusion["supporting_reads"]
    assert result["filters"]["malformed_tag"] <= len(recs)
    if result["filters"]["malformed_tag"]:
        assert any("malformed tag" in w for w in result["warnings"])
