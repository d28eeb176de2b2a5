"""Command line: the only layer that parses arguments, prints to the terminal and exits.

Each subcommand has one ``_add_<name>`` function (its options) and one ``_run_<name>``
function (calls the library and prints).  Exit codes: 0 done, 1 bad data, 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fusioncheck import __version__
from fusioncheck.errors import FusioncheckError

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

# --- scan -------------------------------------------------------------------------------------


def _threads(text: str) -> int:
    """--threads: a whole number of at least 1 (0 or -1 mean nothing to htslib, and a silent
    reinterpretation as "all cores" would oversubscribe shared nodes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: give at least 1")
    return value


def _usable_threads(requested: int) -> int:
    """``requested``, or the CPUs this process may run on when fewer: decompression threads
    beyond them only compete for the same cores.  Clamped with a warning, not refused, because
    a cluster job may be given fewer cores than its command line asks for."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if available and requested > available:
        logging.getLogger("fusioncheck").warning(
            "--threads %d: only %d CPU(s) available here; using %d", requested, available, available
        )
        return available
    return requested


def _add_scan(sub: Subcommands) -> None:
    p = sub.add_parser(
        "scan",
        help="scan one BAM/CRAM for ASPSCR1::TFE3 and write <sample>.fusioncheck.json/.tsv",
        description="Scan one BAM or CRAM for ASPSCR1::TFE3 and write "
        "OUTDIR/SAMPLE.fusioncheck.json and OUTDIR/SAMPLE.fusioncheck.tsv.",
    )
    p.add_argument(
        "bam",
        help="coordinate-sorted, indexed BAM or CRAM: a file, or an https:// or s3:// URL read "
        "in place (its index beside it)",
    )
    p.add_argument("--sample", required=True, help="sample ID (letters, digits, . _ -)")
    p.add_argument("--outdir", required=True, help="directory for the results")
    p.add_argument(
        "--reference",
        help="genome FASTA the reads were aligned to (needed for CRAM, for soft-clip-only "
        "evidence such as STAR's default output, and for the fusion protein)",
    )
    p.add_argument("--build", default="auto", help="auto (from the header), GRCh38 or GRCh37")
    _add_scan_assay(p)
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage's counts to stderr")
    p.add_argument("--config", help="YAML file of thresholds (default: the built-in defaults)")
    p.add_argument(
        "--threads",
        type=_threads,
        default=1,
        help="worker processes reading the windows in parallel, at least 1 (more than the CPUs "
        "available are reduced to them, with a warning); worth it for targeted panels with "
        "millions of reads in the windows; results are identical to one",
    )
    p.add_argument(
        "--unmapped-tail",
        action="store_true",
        help="also read the pairs the aligner left wholly unmapped and rescue fusion junction "
        "reads among them (needs --reference; costs time in proportion to the unmapped reads)",
    )
    p.add_argument(
        "--full-checksum",
        action="store_true",
        help="SHA-256 the whole input file (default: a fingerprint of its size, first and last "
        "MiB, which costs the same for any file size)",
    )
    p.add_argument(
        "--evidence-bam",
        action="store_true",
        help="also write the reads behind every reported record and every filtered junction "
        "read, tagged (SAMPLE.evidence.bam + .bai), and an IGV session opening them at both "
        "breakpoints (SAMPLE.igv.xml), into OUTDIR/evidence (docs/output.md)",
    )
    p.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="directory for the --evidence-bam files (default: OUTDIR/evidence); implies "
        "--evidence-bam",
    )


def _add_scan_assay(p: argparse.ArgumentParser) -> None:
    """What the library is: design, panel targets, tumour content, UMIs, target fusion."""
    p.add_argument(
        "--assay",
        default="auto",
        choices=["auto", "wts", "amp", "rna_capture", "dna_capture", "rna", "dna"],
        help="assay design (docs/assays.md): wts whole transcriptome, amp anchored multiplex "
        "PCR, rna_capture / dna_capture hybrid capture; rna = wts and dna = dna_capture; auto "
        "(default) takes RNA or DNA from the spliced reads and the covered side(s) from coverage",
    )
    p.add_argument(
        "--targets",
        metavar="BED",
        help="BED of the panel's baits or primers: decides which side(s) of the fusion the "
        "assay covers (same build and contig naming as the BAM)",
    )
    p.add_argument(
        "--tumour-content",
        type=float,
        metavar="F",
        help="the pathologist's tumour content estimate (0-1): a negative must then be able to "
        "see the fusion fraction it implies",
    )
    p.add_argument(
        "--umi",
        default="auto",
        choices=["auto", "RX", "MI", "name", "none"],
        help="where molecule identifiers (UMIs) are: RX or MI tag, or the read name's last "
        "'_' field; auto (default) uses RX/MI when present, else collapses PCR copies by their "
        "outer read ends",
    )
    p.add_argument(
        "--umi-separator",
        default="_",
        metavar="C",
        help="with --umi name: the character before the UMI at the end of the read name "
        "(default '_', as umi_tools writes it)",
    )
    p.add_argument(
        "--target",
        default="ASPSCR1_TFE3",
        help="the fusion to look for: a bundled target (resources/targets/NAME) or the path "
        "of a target.yaml (docs/extending.md)",
    )


def _run_scan(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from pathlib import Path

    from fusioncheck.batch import scan_sample
    from fusioncheck.config import load_thresholds
    from fusioncheck.output import write_result
    from fusioncheck.scan import make_options

    if args.verbose:
        logging.getLogger("fusioncheck").setLevel(logging.INFO)
    options = make_options(
        reference=args.reference,
        build=args.build,
        assay=args.assay,
        thresholds=load_thresholds(args.config),
        threads=_usable_threads(args.threads),
        command=shlex.join(["fusioncheck", *argv]),
        full_checksum=args.full_checksum,
        unmapped_tail=args.unmapped_tail,
        targets=args.targets,
        tumour_content=args.tumour_content,
        umi=args.umi,
        umi_separator=args.umi_separator,
        target=args.target,
    )
    evidence = None
    if args.evidence_bam or args.evidence_dir:
        evidence = Path(args.evidence_dir or Path(args.outdir) / "evidence")
    result, paths = scan_sample(args.bam, args.sample, options, evidence)
    paths = write_result(result, args.outdir) + paths
    print(f"{args.sample}: {result['call']} ({result['call_reason']})")
    for path in paths:
        print(f"  wrote {path}")
    return 0


# --- scan-batch -------------------------------------------------------------------------------


def _add_scan_batch(sub: Subcommands) -> None:
    p = sub.add_parser(
        "scan-batch",
        help="scan every sample of a sheet in one process; a bad sample gets an ERROR record",
        description="Scan the samples of a sample sheet one after another in one process and "
        "write OUTDIR/SAMPLE.fusioncheck.json and .tsv for each. A sample whose input cannot "
        "be used gets an error record (call ERROR, the message and the fix) and the others go "
        "on. Exit 0 when every sample was scanned, 1 when any failed (the last line counts "
        "them), 2 for a usage error.",
    )
    p.add_argument("--sheet", required=True, help="tab-separated sample sheet (check-sheet)")
    p.add_argument("--outdir", required=True, help="directory for the results")
    p.add_argument(
        "--sample",
        action="append",
        help="scan only this sample (repeat for several; default: every sample of the sheet)",
    )
    p.add_argument("--reference", help="genome FASTA for samples whose row names none")
    p.add_argument("--config", help="YAML file of thresholds (default: the built-in defaults)")
    p.add_argument("--threads", type=int, default=1, help="as for scan")
    p.add_argument("--unmapped-tail", action="store_true", help="as for scan")
    p.add_argument("--full-checksum", action="store_true", help="as for scan")
    p.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="write each scanned sample's evidence BAM and IGV session here (as scan "
        "--evidence-bam does)",
    )
    p.add_argument(
        "--errors-ok",
        action="store_true",
        help="exit 0 even when samples failed (their error records are written): for a "
        "workflow that collects the failures later",
    )


def _run_scan_batch(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from pathlib import Path

    from fusioncheck.batch import scan_batch
    from fusioncheck.config import load_thresholds
    from fusioncheck.errors import UsageError
    from fusioncheck.sheet import read_sheet

    samples = read_sheet(args.sheet)
    if args.sample:
        unknown = sorted(set(args.sample) - {s.sample for s in samples})
        if unknown:
            raise UsageError(f"{args.sheet}: no sample(s) {', '.join(unknown)}")
        samples = [s for s in samples if s.sample in set(args.sample)]
    outcomes = scan_batch(
        samples,
        args.outdir,
        thresholds=load_thresholds(args.config),
        command=shlex.join(["fusioncheck", *argv]),
        reference=Path(args.reference) if args.reference else None,
        threads=args.threads,
        full_checksum=args.full_checksum,
        unmapped_tail=args.unmapped_tail,
        evidence_dir=Path(args.evidence_dir) if args.evidence_dir else None,
    )
    failed = [o for o in outcomes if o.call == "ERROR"]
    for o in outcomes:
        print(f"{o.sample}: {o.call} ({o.detail})")
    print(
        f"{len(outcomes)} sample(s) scanned, {len(failed)} failed"
        + (f": {', '.join(o.sample for o in failed)}" if failed else "")
    )
    return 1 if failed and not args.errors_ok else 0


# --- simulate ---------------------------------------------------------------------------------


def _add_simulate(sub: Subcommands) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a synthetic control: genome FASTA + indexed BAM (+ truth)",
        description="Write a deterministic synthetic positive (default: RNA whole transcriptome, "
        "STAR chimeric, GRCh38, ASPSCR1 ex7::TFE3 ex6, 10 fusion molecules) or negative "
        "control: genome.fa.gz, sample.bam, truth.json (what was simulated; no expected "
        "call), reads_1/2.fq.gz, windows.fa, genes.gtf. The same options give byte-identical "
        "files.",
    )
    p.add_argument("--outdir", required=True, help="directory for the files")
    p.add_argument("--assay", choices=["rna", "dna"], help="default: from --design, else rna")
    p.add_argument(
        "--design",
        choices=["wts", "amp", "rna_capture", "dna_capture"],
        help="library design: wts (whole transcriptome, RNA default), amp (anchored multiplex "
        "PCR from TFE3 primers in exons 4-8), rna_capture / dna_capture (hybrid capture); "
        "without it, --assay dna is a DNA panel baiting both genes",
    )
    p.add_argument(
        "--baits",
        choices=["both", "TFE3"],
        help="targeted genes (default: TFE3 for a named amp/rna_capture/dna_capture, else "
        "both); TFE3-only: ASPSCR1 is seen only in fusion molecules",
    )
    p.add_argument(
        "--aligner",
        choices=["star_chimeric", "star", "hisat2", "bwa"],
        help="record style (default: bwa for amp and DNA, star_chimeric otherwise; bwa on RNA "
        "writes splices as SA/clips)",
    )
    p.add_argument("--build", default="GRCh38", choices=["GRCh38", "GRCh37"])
    p.add_argument("--contig-style", default="chr", choices=["chr", "plain"])
    _add_simulate_fusion(p)
    p.add_argument(
        "--background",
        type=float,
        help="RNA: fragments per kb of each gene's transcript (default 400); amp: molecules "
        "per primer (default 100); DNA: mean depth over the baited regions (default 30)",
    )
    p.add_argument("--tumour-fraction", type=float, default=0.5)
    _add_simulate_library(p)
    _add_simulate_traps(p)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sample", default="simulated", help="read group sample name")


def _add_simulate_fusion(p: argparse.ArgumentParser) -> None:
    """The fusion the library carries."""
    p.add_argument(
        "--target",
        default="ASPSCR1_TFE3",
        help="the fusion's definition: a bundled target or the path of a target.yaml",
    )
    p.add_argument(
        "--five-prime",
        default="ASPSCR1",
        help="5' partner of TFE3: ASPSCR1, PRCC, SFPQ, NONO, or a locus CHROM:POS",
    )
    p.add_argument(
        "--junction",
        metavar="A:B",
        help="RNA: 5' exon:3' exon (default 7:6); DNA: 5' intron:TFE3 intron (default 7:5)",
    )
    p.add_argument(
        "--fusion-fragments",
        metavar="N|auto",
        default="10",
        help="molecules across the fusion (0: negative control; auto, DNA only: from "
        "--background depth and --tumour-fraction)",
    )
    p.add_argument("--reciprocal", action="store_true", help="also TFE3::partner fragments")


def _add_simulate_traps(p: argparse.ArgumentParser) -> None:
    """What else the library holds besides the fusion and normal expression."""
    p.add_argument("--paralog-fragments", type=int, default=0)
    p.add_argument("--artefact-pairs", type=int, default=0)
    p.add_argument("--read-through", type=int, default=0)
    p.add_argument(
        "--unspanned-fusion",
        type=float,
        default=0.0,
        help="RNA: fusion expression (fragments per kb of its 3' part) with no read across "
        "the junction",
    )
    p.add_argument(
        "--intronic-chimeras",
        type=int,
        default=0,
        help="RNA: single chimeric fragments joining points deep in ASPSCR1 and TFE3 introns "
        "(library noise, not a fusion)",
    )


def _add_simulate_library(p: argparse.ArgumentParser) -> None:
    """How the molecules are sequenced: copies, UMIs, damage, strand, read layout."""
    p.add_argument(
        "--pcr-copies",
        type=int,
        default=1,
        help="read pairs per molecule, none flagged as duplicates (same ends, same UMI)",
    )
    p.add_argument(
        "--duplicate-rate",
        type=float,
        help="chance a molecule gets one extra copy flagged 0x400 (default 0; 0.3 with --ffpe)",
    )
    p.add_argument(
        "--umi",
        default="none",
        choices=["none", "rx", "mi", "name"],
        help="where the molecule's UMI goes: rx (RX:Z tag, 8-mer; AAAAAAAA-CCCCCCCC for paired "
        "non-amp libraries), mi (RX plus fgbio GroupReadsByUmi's MI:Z molecule ID), name "
        "(umi_tools style READNAME_UMI); the FASTQs carry RX/MI as a comment for bwa mem -C",
    )
    p.add_argument("--umi-error-rate", type=float, default=0.0,
                   help="chance a PCR copy's UMI has one base wrong")  # fmt: skip
    p.add_argument(
        "--ffpe",
        action="store_true",
        help="FFPE: inserts 100-180 (mean 140), 2x75, C>T damage, duplicates, 3' bias (RNA)",
    )
    p.add_argument("--stranded", action="store_true",
                   help="dUTP stranded RNA: read 1 antisense to the transcript")  # fmt: skip
    p.add_argument("--single-end", action="store_true", help="read 1 only")
    p.add_argument(
        "--no-supplementary",
        action="store_true",
        help="no supplementary/SA records (as UMI-consensus BAMs): junction reads soft-clipped",
    )
    p.add_argument("--base-error-rate", type=float, default=0.0)
    p.add_argument("--read-length", type=int, help="default 100 (75 with --ffpe)")
    p.add_argument("--fragment-mean", type=int)
    p.add_argument("--fragment-sd", type=int)


_SIMULATE_FIELDS = (
    "assay", "design", "baits", "aligner", "build", "contig_style", "five_prime", "reciprocal",
    "background", "tumour_fraction", "duplicate_rate", "base_error_rate", "read_length",
    "fragment_mean", "fragment_sd", "paralog_fragments", "artefact_pairs", "read_through",
    "unspanned_fusion", "intronic_chimeras", "umi", "umi_error_rate", "pcr_copies", "ffpe",
    "stranded", "single_end", "no_supplementary", "seed", "sample", "target",
)  # fmt: skip


def _run_simulate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from fusioncheck.errors import UsageError
    from fusioncheck.simulate import SimulationSpec, simulate

    junction = None
    if args.junction:
        a, sep, b = args.junction.partition(":")
        if not (sep and a.isdigit() and b.isdigit()):
            raise UsageError(f"--junction {args.junction}: use A:B, e.g. 7:6")
        junction = (int(a), int(b))
    if args.fusion_fragments == "auto":
        fusion_fragments = None
    elif args.fusion_fragments.isdigit():
        fusion_fragments = int(args.fusion_fragments)
    else:
        raise UsageError(f"--fusion-fragments {args.fusion_fragments}: a number or auto")
    spec = SimulationSpec(
        junction=junction,  # type: ignore[arg-type]
        fusion_fragments=fusion_fragments,
        **{name: getattr(args, name) for name in _SIMULATE_FIELDS},
    )
    result = simulate(spec, args.outdir)
    truth = result.load_truth()
    for record in truth["fusions"]:
        print(
            f"{record['five_prime_gene']}::{record['three_prime_gene']} "
            f"{record['breakpoint_5p']} -> {record['breakpoint_3p']}: "
            f"{record['split_fragments']} split, {record['spanning_fragments']} spanning "
            f"molecules in {record['read_pairs']} read pairs"
        )
    library = truth["library"]
    print(
        f"{truth['design']} ({truth['assay']}, baits {truth['baits']}, {truth['aligner']}): "
        f"{library['molecules']} molecules, {library['read_pairs_in_bam']} read pairs in the BAM"
    )
    for path in (result.bam, result.genome, result.truth, result.fastq1, result.fastq2):
        if path is not None:
            print(f"  wrote {path}")
    return 0


# --- cohort -----------------------------------------------------------------------------------


def _add_cohort(sub: Subcommands) -> None:
    p = sub.add_parser(
        "cohort",
        help="summarise many <sample>.fusioncheck.json into one table (+ MultiQC file)",
        description="Read per-sample results and write OUTDIR/summary.tsv (one row per sample: "
        "call, confidence, breakpoints, supporting fragments, QC) and "
        "OUTDIR/fusioncheck_mqc.tsv (MultiQC custom content).",
    )
    p.add_argument("results", nargs="*", help="<sample>.fusioncheck.json files")
    p.add_argument(
        "--from-file",
        metavar="LIST",
        help="read result paths from this file, one per line (for very large cohorts)",
    )
    p.add_argument("--outdir", required=True, help="directory for summary.tsv and the MultiQC file")


def _run_cohort(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from pathlib import Path

    from fusioncheck.cohort import write_cohort
    from fusioncheck.errors import UsageError

    paths = list(args.results)
    if args.from_file:
        try:
            text = Path(args.from_file).read_text()
        except OSError as exc:
            raise UsageError(f"--from-file {args.from_file}: cannot read ({exc.strerror})") from exc
        paths += [line.strip() for line in text.splitlines() if line.strip()]
    if not paths:
        raise UsageError("give at least one <sample>.fusioncheck.json (or --from-file LIST)")
    outdir = Path(args.outdir)
    rows = write_cohort(paths, outdir / "summary.tsv", outdir / "fusioncheck_mqc.tsv")
    calls: dict[str, int] = {}
    for row in rows:
        calls[str(row["call"])] = calls.get(str(row["call"]), 0) + 1
    print(f"{len(rows)} samples: " + ", ".join(f"{n} {call}" for call, n in sorted(calls.items())))
    print(f"  wrote {outdir / 'summary.tsv'}\n  wrote {outdir / 'fusioncheck_mqc.tsv'}")
    return 0


# --- check-sheet ------------------------------------------------------------------------------


def _add_check_sheet(sub: Subcommands) -> None:
    p = sub.add_parser(
        "check-sheet",
        help="check a workflow sample sheet (and, with --inspect, open each BAM/CRAM)",
        description="Check a sample sheet (columns sample, bam, assay, optional reference and "
        "build) and list every bad row at once. With --inspect, also open each alignment file "
        "and check its header, index, sort order, build and reference, as scan would.",
    )
    p.add_argument("sheet", help="tab-separated sample sheet")
    p.add_argument("--sample", help="check only this sample's row (with --inspect)")
    p.add_argument("--inspect", action="store_true", help="open each BAM/CRAM and check it")
    p.add_argument("--out", help="write what was found (JSON) to this file")


def _run_check_sheet(args: argparse.Namespace, argv: Sequence[str]) -> int:
    import json
    from pathlib import Path

    from fusioncheck.errors import UsageError
    from fusioncheck.output import atomic_write
    from fusioncheck.sheet import read_sheet

    samples = read_sheet(args.sheet)
    if args.sample:
        samples = [s for s in samples if s.sample == args.sample]
        if not samples:
            raise UsageError(f"{args.sheet}: no sample {args.sample!r}")
    found = []
    for s in samples:
        entry = {
            "sample": s.sample,
            "bam": str(s.bam),
            "assay": s.assay,
            "reference": str(s.reference) if s.reference else None,
            "build": s.build,
        }
        if args.inspect:
            from fusioncheck.bamio import inspect_alignment

            checked = inspect_alignment(s.bam, s.reference, s.build)
            entry.update(
                format=checked.format, build=checked.build, contig_style=checked.style.style
            )
        found.append(entry)
    if args.out:
        atomic_write({Path(args.out): json.dumps(found, indent=2) + "\n"})
    print(f"{args.sheet}: {len(found)} sample(s) OK" + (" (inspected)" if args.inspect else ""))
    return 0


# --- report -----------------------------------------------------------------------------------


def _add_report(sub: Subcommands) -> None:
    p = sub.add_parser(
        "report",
        help="render <sample>.fusioncheck.json as HTML + PDF report and VCF (or a cohort page)",
        description="Render each result as OUTDIR/SAMPLE.report.html (self-contained), "
        "OUTDIR/SAMPLE.report.pdf (printed by headless Chromium) and OUTDIR/SAMPLE.vcf (VCF "
        "4.3 BND records). With --cohort, write one summary page (--out) linking every "
        "sample's report.",
    )
    p.add_argument("results", nargs="+", help="<sample>.fusioncheck.json files")
    p.add_argument("--outdir", help="directory for the per-sample reports")
    p.add_argument("--cohort", action="store_true", help="write a cohort summary page")
    p.add_argument("--out", help="with --cohort: the summary page to write (e.g. cohort.html)")
    p.add_argument(
        "--report-dir",
        help="with --cohort: where the per-sample reports are (default: --outdir if given, "
        "else the directory of --out)",
    )
    p.add_argument("--no-pdf", action="store_true", help="write HTML and VCF only")
    p.add_argument(
        "--reference",
        help="genome FASTA the sample was scanned with: the VCF then carries the real REF base "
        "at each breakend (default N), as `bcftools norm -f` requires",
    )
    p.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="where SAMPLE.evidence.bam is (from scan --evidence-bam), to draw the supporting "
        "reads (default: the evidence folder beside each JSON; without the file, no read figure)",
    )
    p.add_argument(
        "--chromium",
        help="Chromium/Chrome executable for the PDF (default: $FUSIONCHECK_CHROMIUM, then "
        "chromium, chromium-browser, google-chrome on PATH)",
    )
    lab = p.add_argument_group("laboratory letterhead (printed on every per-sample report)")
    lab.add_argument("--lab-name", help="laboratory name")
    lab.add_argument("--lab-address", help="laboratory address, one line")
    lab.add_argument("--lab-accreditation", help="accreditation line, e.g. 'ISO 15189 no. 1234'")
    lab.add_argument("--lab-logo", help="logo image (PNG, JPEG or SVG, under 512 KiB)")


def _run_report(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from pathlib import Path

    from fusioncheck.cohort import refuse_repeated_samples
    from fusioncheck.errors import UsageError
    from fusioncheck.report import load_result, write_cohort_report, write_sample_report
    from fusioncheck.report.lab import make_lab
    from fusioncheck.report.pdf import PdfEngineError, find_chromium, html_to_pdf

    if args.cohort and not args.out:
        raise UsageError("--cohort needs --out PAGE.html")
    if not args.cohort and not args.outdir:
        raise UsageError("give --outdir DIR for the reports (or --cohort --out PAGE.html)")
    if args.out and not args.cohort:
        raise UsageError("--out is for the cohort page: add --cohort, or use --outdir")
    results = [(path, load_result(path)) for path in args.results]  # all valid before writing
    refuse_repeated_samples(r["sample"] for _, r in results)
    lab = make_lab(args.lab_name, args.lab_address, args.lab_accreditation, args.lab_logo)
    written = []
    if args.outdir:
        for path, result in results:
            evidence = (
                Path(args.evidence_dir) if args.evidence_dir else Path(path).parent / "evidence"
            )
            paths = write_sample_report(
                result,
                args.outdir,
                make_pdf=False,
                source=str(path),
                lab=lab,
                reference=args.reference,
                evidence_bam=evidence / f"{result['sample']}.evidence.bam",
            )
            print(f"{result['sample']}: {result['call']}")
            print(f"  wrote {paths.html}\n  wrote {paths.vcf}")
            written.append(paths)
    if args.cohort:
        page = write_cohort_report(args.results, args.out, args.report_dir or args.outdir)
        print(f"  wrote {page}")
    if written and not args.no_pdf:
        try:
            engine = find_chromium(args.chromium)
        except PdfEngineError as exc:
            raise PdfEngineError(f"HTML and VCF written; PDF not written: {exc}") from exc
        for paths in written:
            pdf = paths.html.with_name(paths.html.name.removesuffix(".html") + ".pdf")
            html_to_pdf(paths.html, pdf, engine)
            print(f"  wrote {pdf}")
    return 0


# --- entry point ------------------------------------------------------------------------------

COMMANDS: dict[
    str,
    tuple[Callable[[Subcommands], None], Callable[[argparse.Namespace, Sequence[str]], int]],
] = {
    "scan": (_add_scan, _run_scan),
    "scan-batch": (_add_scan_batch, _run_scan_batch),
    "simulate": (_add_simulate, _run_simulate),
    "cohort": (_add_cohort, _run_cohort),
    "check-sheet": (_add_check_sheet, _run_check_sheet),
    "report": (_add_report, _run_report),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fusioncheck",
        description="Detect the ASPSCR1::TFE3 fusion (alveolar soft part sarcoma) in BAM/CRAM.",
    )
    parser.add_argument("--version", action="version", version=f"fusioncheck {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="fusioncheck: %(message)s",
        stream=sys.stderr,
    )
    # The stages log their counts at INFO: shown with --verbose (or --debug), warnings always.
    logging.getLogger("fusioncheck").setLevel(logging.DEBUG if args.debug else logging.WARNING)
    try:
        return COMMANDS[args.command][1](args, argv)
    except FusioncheckError as exc:
        if args.debug:
            raise
        print(f"fusioncheck {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        # Ctrl-C: one line, and 128 + SIGINT as shells report it; results are written
        # atomically, so nothing half-written is left behind.
        print(f"fusioncheck {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.  Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
