"""Bad input: a clear error naming the file and the fix, a non-zero exit, no traceback and no
result left behind.  Inputs that can be read but cannot exclude the fusion give INDETERMINATE,
never NOT_DETECTED.

``MATRIX`` is the bad-input table: one row per case, and docs/troubleshooting.md lists each
row's message (``test_troubleshooting_lists_every_case`` keeps the two one table).
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pysam
import pytest

from builders import BamBuilder, header, to_cram
from fusioncheck.bamio import _compare_window, sequence_md5, target_windows
from fusioncheck.errors import InputError, OutputError, UsageError
from fusioncheck.genes import CONTIG_LENGTHS, ContigStyle, Window
from fusioncheck.output import TSV_COLUMNS, write_result
from fusioncheck.scan import scan
from fusioncheck.simulate.genome import build_genome, write_fasta

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bam(tmp_path):
    b = BamBuilder()
    for i in range(3000):
        b.add(f"r{i}", "chr17", 81_980_000 + 5 * i, "100M")
        b.add(f"t{i}", "chrX", 49_029_000 + 4 * i, "100M", reverse=True)
    return b.write(tmp_path / "good.bam")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "fusioncheck", *map(str, args)], capture_output=True, text=True
    )


class Inputs:
    """What the matrix cases build on, made on first use: ``bam`` (synthetic reads, no
    sequence meaning), ``sim`` (a simulated STAR positive with its genome)."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path):
        self.request, self.tmp = request, tmp_path

    @property
    def bam(self) -> Path:
        return self.request.getfixturevalue("bam")

    @property
    def sim(self):
        return self.request.getfixturevalue("simulate_fixture")(aligner="star")

    def write_header_only(self, name: str, hdr: dict) -> Path:
        path = self.tmp / name
        with pysam.AlignmentFile(str(path), "wb", header=pysam.AlignmentHeader.from_dict(hdr)):
            pass
        return path


def scan_args(path: Path, *extra: object) -> Callable[[Path], list]:
    return lambda out: ["scan", path, "--sample", "s", "--outdir", out, *extra]


def _truncated(i: Inputs):
    cut = i.tmp / "cut.bam"
    cut.write_bytes(i.bam.read_bytes()[: i.bam.stat().st_size // 2])
    return scan_args(cut)


def _corrupt_block(i: Inputs):
    data = bytearray(i.bam.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    bad = i.tmp / "corrupt.bam"
    bad.write_bytes(bytes(data))
    pysam.index(str(i.bam), str(bad) + ".bai")  # an index that looks right
    return scan_args(bad)


def _random_bytes(i: Inputs):
    junk = i.tmp / "junk.bam"
    junk.write_bytes(bytes(range(256)) * 40)
    return scan_args(junk)


def _unindexed(i: Inputs):
    i.bam.with_suffix(".bam.bai").unlink()
    return scan_args(i.bam)


def _unsorted(i: Inputs):
    return scan_args(i.write_header_only("unsorted.bam", header(sort_order="unsorted")))


def _indexed_header(i: Inputs, name: str, sq: list[dict]) -> Path:
    path = i.write_header_only(name, {"HD": {"SO": "coordinate"}, "SQ": sq})
    pysam.index(str(path))
    return path


def _no_chr17(i: Inputs):
    return scan_args(_indexed_header(i, "nochr17.bam", [{"SN": "chr1", "LN": 248_956_422}]))


def _unknown_build(i: Inputs):
    sq = [{"SN": "chr17", "LN": 100}, {"SN": "chrX", "LN": 200}]
    return scan_args(_indexed_header(i, "odd.bam", sq))


def _mixed_build(i: Inputs):
    """chr17 of GRCh37's length, chrX of GRCh38's: no build at all, whatever --build says."""
    sq = [
        {"SN": "chr17", "LN": CONTIG_LENGTHS["GRCh37"]["chr17"]},
        {"SN": "chrX", "LN": CONTIG_LENGTHS["GRCh38"]["chrX"]},
    ]
    return scan_args(_indexed_header(i, "mixed.bam", sq), "--build", "GRCh38")


def _fasta_with_other_contigs(i: Inputs):
    fasta = i.tmp / "small.fa"
    fasta.write_text(">chr17\n" + "ACGT" * 25 + "\n>chrX\n" + "ACGT" * 25 + "\n")
    pysam.faidx(str(fasta))
    return scan_args(i.bam, "--reference", fasta)


def _fasta_other_sequence(i: Inputs):
    """The issue's recipe: the genome with the ASPSCR1/TFE3 windows complemented (the BAM has
    no M5, so the reads are compared)."""
    return scan_args(i.sim.bam, "--reference", i.request.getfixturevalue("complemented_genome"))


def _cram_fasta_other_sequence(i: Inputs):
    cram = to_cram(i.sim.bam, i.sim.genome, i.tmp / "s.cram")  # @SQ M5 from samtools
    return scan_args(cram, "--reference", i.request.getfixturevalue("complemented_genome"))


def _stale_index(i: Inputs):
    """The issue's recipe: index a header-only BAM, then copy a full BAM over it."""
    stale = i.tmp / "stale.bam"
    pysam.view("-H", "-b", "-o", str(stale), str(i.sim.bam), catch_stdout=False)
    pysam.index(str(stale))
    stale.write_bytes(i.sim.bam.read_bytes())
    return scan_args(stale)


def _foreign_index(i: Inputs):
    """Another BAM's index beside the file."""
    other = i.tmp / "other.bam"
    other.write_bytes(i.sim.bam.read_bytes())
    (i.tmp / "other.bam.bai").write_bytes((Path(str(i.bam) + ".bai")).read_bytes())
    return scan_args(other)


def _cram_without_reference(i: Inputs):
    return scan_args(to_cram(i.sim.bam, i.sim.genome, i.tmp / "s.cram"))


def _stale_index_in_sheet(i: Inputs):
    stale_args = _stale_index(i)(i.tmp)
    sheet = i.tmp / "samples.tsv"
    sheet.write_text(f"sample\tbam\tassay\ns1\t{stale_args[1]}\trna\n")
    return lambda out: ["check-sheet", sheet, "--inspect"]


def _same_sample_twice_in_cohort(i: Inputs):
    result = scan(i.bam, sample="s")
    json_path, _ = write_result(result, i.tmp / "res")
    return lambda out: ["report", json_path, json_path, "--cohort", "--out", out / "c.html"]


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Inputs], Callable[[Path], list]]  # -> (outdir -> command line)
    code: int
    #: words[0] is the message as docs/troubleshooting.md lists it; all must be in stderr.
    words: tuple[str, ...]
    names_file: bool = True  # the message names the input file


MATRIX = (
    Case("truncated", _truncated, 1, ("not a readable BAM or CRAM file", "truncated")),
    Case("corrupt block", _corrupt_block, 1, ("is truncated or corrupt",)),
    Case("random bytes", _random_bytes, 1, ("not a readable BAM or CRAM file",)),
    Case("missing", lambda i: scan_args(i.tmp / "nope.bam"), 1, ("no such file",)),
    Case("unindexed", _unindexed, 1, ("has no index", "samtools index")),
    Case("unsorted", _unsorted, 1, ("not by coordinate", "samtools sort")),
    Case("no chr17", _no_chr17, 1, ("the header has no chromosome 17 and X",)),
    Case("unknown build", _unknown_build, 1, ("match neither GRCh38 nor GRCh37", "--build")),
    Case(
        "build contradicts",
        lambda i: scan_args(i.bam, "--build", "GRCh37"),
        2,
        ("contradicts the header",),
    ),
    Case("mixed-build header", _mixed_build, 2, ("The header mixes builds", "GRCh37's chr17")),
    Case("FASTA other contigs", _fasta_with_other_contigs, 1, ("contig chr17 is",)),
    Case(
        "FASTA other sequence (reads)",
        _fasta_other_sequence,
        1,
        ("not the sequence", "100% of", "pass the FASTA the reads were aligned to"),
    ),
    Case(
        "FASTA other sequence (M5)",
        _cram_fasta_other_sequence,
        1,
        ("not the sequence", "header M5"),
    ),
    Case("stale index", _stale_index, 1, ("the index does not match the file", "samtools index")),
    Case(
        "foreign index", _foreign_index, 1, ("the index does not match the file", "samtools index")
    ),
    Case(
        "stale index, check-sheet --inspect",
        _stale_index_in_sheet,
        1,
        ("the index does not match the file", "stale.bam", "samtools index"),
        names_file=False,  # it names the BAM of the sheet's row
    ),
    Case("CRAM without FASTA", _cram_without_reference, 1, ("a CRAM can only be decoded",)),
    Case(
        "unmapped tail without FASTA",
        lambda i: scan_args(i.bam, "--unmapped-tail"),
        2,
        ("reading the unmapped tail needs the genome FASTA",),
        names_file=False,
    ),
    Case("threads 0", lambda i: scan_args(i.bam, "--threads", "0"), 2, ("--threads",), False),
    Case("threads -1", lambda i: scan_args(i.bam, "--threads", "-1"), 2, ("--threads",), False),
    Case(
        "300-character sample ID",
        lambda i: lambda out: ["scan", i.bam, "--sample", "a" * 300, "--outdir", out],
        2,
        ("characters long; use at most 100", "is 300 characters long"),
        names_file=False,
    ),
    Case(
        "same sample twice in a cohort report",
        _same_sample_twice_in_cohort,
        1,
        ("given more than once",),
        names_file=False,
    ),
)


@pytest.fixture(scope="session")
def complemented_genome(tmp_path_factory) -> Path:
    """The simulated GRCh38 genome with the ASPSCR1 and TFE3 windows complemented: right
    names and lengths, other sequence."""
    genome = build_genome("GRCh38")
    swap = str.maketrans("ACGTacgt", "TGCAtgca")
    targets = target_windows("GRCh38")
    windows = {}
    for chrom, runs in genome.windows.items():
        changed = []
        for ws, we, seq in runs:
            for t in (t for t in targets if t.chrom == chrom and t.start <= we and t.end >= ws):
                lo, hi = max(ws, t.start) - ws, min(we, t.end) - ws + 1
                seq = seq[:lo] + seq[lo:hi].translate(swap) + seq[hi:]
            changed.append((ws, we, seq))
        windows[chrom] = changed
    path = tmp_path_factory.mktemp("wrong") / "complemented.fa.gz"
    write_fasta(dataclasses.replace(genome, windows=windows), ContigStyle("chr"), path)
    return path


@pytest.mark.parametrize("case", MATRIX, ids=[c.id for c in MATRIX])
def test_bad_input_is_refused(case: Case, request, tmp_path):
    out = tmp_path / "out"
    command = case.make(Inputs(request, tmp_path))(out)
    proc = run_cli(*command)
    assert proc.returncode == case.code, proc.stderr
    for word in case.words:
        assert word in proc.stderr, proc.stderr
    if case.names_file:
        assert str(command[1]) in proc.stderr
    assert "Traceback" not in proc.stderr
    ours = [
        line for line in proc.stderr.splitlines() if line.startswith(f"fusioncheck {command[0]}:")
    ]
    assert len(ours) == 1, proc.stderr  # one message (htslib may add its own lines)
    assert not out.exists() or not list(out.glob("*.json"))


def test_troubleshooting_lists_every_case():
    table = (ROOT / "docs" / "troubleshooting.md").read_text()
    missing = [c.id for c in MATRIX if c.words[0] not in table]
    assert missing == []


def test_the_right_fasta_passes_the_sequence_check(simulate_fixture, tmp_path):
    sim = simulate_fixture(aligner="star")
    assert scan(sim.bam, sample="s", reference=sim.genome)["call"] == "DETECTED"


def test_reads_with_sequencing_errors_pass_the_sequence_check(simulate_fixture):
    sim = simulate_fixture(aligner="star", base_error_rate=0.02)
    assert scan(sim.bam, sample="s", reference=sim.genome)["call"] == "DETECTED"


def test_the_sequence_check_counts_bases_not_ns(tmp_path):
    """Bases compared and mismatched: an N in a read is not compared (against a base or an N
    of the reference), a substitution is a mismatch."""
    ref = "ACGTTGCA" * 25
    ref = ref[:40] + "N" + ref[41:]
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chrX\n" + ref + "\n")
    pysam.faidx(str(fasta))
    read = list(ref[30:50])
    read[2], read[5] = "T" if read[2] != "T" else "A", "C" if read[5] != "C" else "G"
    read[7] = read[10] = read[12] = "N"  # read[10] is on the reference's N
    hdr = pysam.AlignmentHeader.from_dict(header())
    with pysam.AlignmentFile(str(tmp_path / "r.bam"), "wb", header=hdr) as out:
        for name, start, seq in (("same", 0, ref[:20]), ("differs", 30, "".join(read))):
            seg = pysam.AlignedSegment.fromstring(
                f"{name}\t0\tchrX\t{start + 1}\t60\t20M\t*\t0\t0\t{seq}\t{'I' * 20}", hdr
            )
            out.write(seg)
    pysam.index(str(tmp_path / "r.bam"))
    with (
        pysam.AlignmentFile(str(tmp_path / "r.bam")) as bam,
        pysam.FastaFile(str(fasta)) as genome,
    ):
        counts = _compare_window(bam, genome, "chrX", Window("T", "chrX", 1, 200))
    assert counts == (37, 2)  # 20 + 17 bases; the two substitutions


def test_sequence_md5_is_the_m5_samtools_writes(simulate_fixture, tmp_path):
    sim = simulate_fixture(aligner="star")
    cram = to_cram(sim.bam, sim.genome, tmp_path / "s.cram")
    with pysam.AlignmentFile(str(cram), reference_filename=str(sim.genome)) as f:
        m5 = {sq["SN"]: sq["M5"] for sq in f.header.to_dict()["SQ"]}
    with pysam.FastaFile(str(sim.genome)) as fasta:
        assert sequence_md5(fasta, "chr17", chunk=1000) == m5["chr17"]
        assert sequence_md5(fasta, "chrX") == m5["chrX"]


def test_old_index_that_matches_is_a_warning_not_an_error(tmp_path, bam):
    """`cp -r` copies in directory order, so a good index is often older than its file."""
    index = Path(str(bam) + ".bai")
    os.utime(index, (1_000_000_000, 1_000_000_000))
    proc = run_cli("scan", bam, "--sample", "s", "--outdir", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert f"{index} is older than {bam}" in proc.stderr


def test_threads_above_the_cpus_are_reduced_with_a_warning(tmp_path, bam):
    proc = run_cli("scan", bam, "--sample", "s", "--outdir", tmp_path / "o", "--threads", 1000)
    assert proc.returncode == 0, proc.stderr
    assert f"only {len(os.sched_getaffinity(0))} CPU(s) available" in proc.stderr


def test_sheet_saved_with_a_byte_order_mark(tmp_path, bam):
    sheet = tmp_path / "samples.tsv"
    sheet.write_bytes(f"sample\tbam\tassay\ns1\t{bam}\trna\n".encode("utf-8-sig"))
    proc = run_cli("check-sheet", sheet, "--inspect")
    assert proc.returncode == 0, proc.stderr
    assert "1 sample(s) OK (inspected)" in proc.stdout


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    """The command blocks reading a FIFO; once it has opened it (so it is inside the command),
    SIGINT is sent."""
    fifo = tmp_path / "list"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fusioncheck", "cohort", "--from-file", fifo, "--outdir", tmp_path],
        stderr=subprocess.PIPE,
        text=True,
    )
    with open(fifo, "w"):  # returns once the command has opened the FIFO to read
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err == "fusioncheck cohort: interrupted\n"


def test_header_only_bam_is_indeterminate(tmp_path):
    path = BamBuilder().write(tmp_path / "empty.bam")
    result = scan(path, sample="s")
    assert result["call"] == "INDETERMINATE"


def test_thin_coverage_is_indeterminate_not_negative(tmp_path):
    b = BamBuilder()
    for i in range(10):
        b.add(f"r{i}", "chr17", 81_996_780 + i, "60M")
        b.add(f"t{i}", "chrX", 49_034_200, "50M", reverse=True)
    result = scan(b.write(tmp_path / "thin.bam"), sample="s")
    assert result["call"] == "INDETERMINATE"
    fraction = result["sensitivity"]["detectable_fraction"]
    assert fraction is None or fraction > 0.1


def test_output_directory_not_writable(tmp_path, bam):
    result = scan(bam, sample="s")
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    with pytest.raises(OutputError, match="cannot write"):
        write_result(result, blocked / "out")


def test_disk_full_leaves_no_result(tmp_path, bam):
    """A real full file system: a 64 KiB tmpfs (needs root, as CI runs)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        (mount / "filler").write_bytes(b"\0" * 60_000)
        result = scan(bam, sample="s")
        result["call_reason"] = "x" * 200_000  # larger than what is left
        with pytest.raises(OutputError, match="nothing was kept"):
            write_result(result, mount)
        assert sorted(p.name for p in mount.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_same_input_twice_gives_the_same_json_apart_from_run_metadata(tmp_path, bam):
    a, b = (scan(bam, sample="s") for _ in range(2))
    a.pop("run"), b.pop("run")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_plain_and_chr_contig_names_give_the_same_call(tmp_path):
    calls = []
    for style in ("chr", "plain"):
        b = BamBuilder(style=style)
        for i in range(5):
            b.add(f"p{i}", "chr17", 81_996_700 + i, "100M", mate=("chrX", 49_034_100, False))
        calls.append(scan(b.write(tmp_path / f"{style}.bam"), sample="s")["call"])
    assert calls[0] == calls[1]


def test_errors_are_typed(tmp_path, bam):
    with pytest.raises(InputError):
        scan(tmp_path / "missing.bam", sample="s")
    with pytest.raises(UsageError):
        scan(bam, sample="s", build="hg19")


def test_tsv_carries_sides_protein_and_filters_after_the_old_columns(simulate_fixture, tmp_path):
    sim = simulate_fixture(aligner="star", duplicate_rate=0.3)
    result = scan(sim.bam, sample="s", reference=sim.genome)
    _, tsv = write_result(result, tmp_path)
    header, row = (line.split("\t") for line in tsv.read_text().splitlines()[:2])
    assert header[:3] == ["sample", "call", "confidence"]
    assert header[-7:] == [
        "passed", "side_5p", "side_3p", "fusion_protein", "filters",
        "junction_sequence", "junction_sequence_source",
    ]  # fmt: skip
    fields = dict(zip(header, row))
    fusion = result["fusions"][0]
    assert (fields["side_5p"], fields["side_3p"]) == ("below", "below")
    assert fields["fusion_protein"] == fusion["fusion_protein"]
    assert fields["filters"] == "duplicates=3"  # 3 PCR copies of the 5 fusion fragments
    assert fusion["filters"]["duplicates"] == 3


def test_output_docs_define_every_tsv_column():
    text = (ROOT / "docs" / "output.md").read_text()
    section = text[text.index("## `<sample>.fusioncheck.tsv`") : text.index("## `check/")]
    assert [c for c in TSV_COLUMNS if f"`{c}`" not in section] == []
