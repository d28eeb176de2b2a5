"""fusioncheck benchmarks: one command, inputs generated deterministically, one table.

    python benchmarks/run.py          # 1, 10 and 50 M read pairs, RNA and DNA; 200-sample workflow
    python benchmarks/run.py --quick  # a smoke version of every measurement (tiny inputs)

Inputs go to ``benchmarks/.cache`` (reused when present and made by the same generator).  For each
assay the simulator writes its default positive (reads over ASPSCR1 and TFE3 with a 10-fragment
fusion); ``benchmarks/generate.py`` adds filler pairs everywhere else up to the size.  Measured in
the same run (best of --repeats runs, default 5, warm page cache):

* ``fusioncheck scan`` (a fresh process, as the workflow runs it, with the FASTA) against the I/O
  floor ``samtools view -c`` over the same windows, and against the floor of any Python tool
  (start Python, import pysam, iterate the same windows);
* scan time at the smallest vs the largest size (flat?);
* scan against a full-file pass (``samtools view -c -@2`` of the whole BAM) and, on the 10 M DNA
  BAM, against ``delly call`` -- and whether Delly finds the truth's breakpoints;
* peak RSS of each scan (``wait4`` rusage of the child);
* the Snakemake workflow (reports off) on 200 samples, ``--cores 2``: wall time per sample and
  Snakemake's own overhead per job;
* a py-spy profile of the scan on the largest RNA and DNA inputs.

Prints the tables (Markdown); ``--write-doc`` also puts them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

FULL = {
    "sizes": [1_000_000, 10_000_000, 50_000_000],
    "delly_size": 10_000_000,
    "samples": 200,
    "panel": [500_000, 2_000_000, 5_000_000],
    "panel_target": 2_000_000,
}
QUICK = {
    "sizes": [20_000, 100_000], "delly_size": 100_000, "samples": 6, "panel": [50_000],
    "panel_target": 50_000,
}  # fmt: skip
ASSAYS = ("rna", "dna")
RSS_LIMIT_MB = 300


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def label(pairs: int) -> str:
    return f"{pairs / 1e6:g} M" if pairs >= 1_000_000 else f"{pairs / 1e3:g} k"


def run(command: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kw)


def timed_rss(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process.

    The RSS comes from GNU time, not from this process's ``wait4``: Linux records the forking
    parent's memory as the child's high-water mark at exec, and this process holds the
    generator's numpy chunks (over 1 GB), which a child's ``ru_maxrss`` would then report.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *command],
            capture_output=True, text=True, errors="replace", check=False,
        )  # fmt: skip
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
        peak_kb = int(rss.read().split()[-1])
    return wall, peak_kb / 1024, done.stdout


# --- inputs -----------------------------------------------------------------------------------


def windows() -> tuple[dict[str, list[tuple[int, int]]], list[str]]:
    """The scan's windows (0-based spans per chromosome) and the same as samtools regions."""
    from fusioncheck.config import Thresholds
    from fusioncheck.genes import load
    from fusioncheck.target import load_target

    spans: dict[str, list[tuple[int, int]]] = {}
    regions = []
    for w in load_target().windows(load("GRCh38"), Thresholds().flank):
        spans.setdefault(w.chrom, []).append((w.start - 1, w.end))
        regions.append(f"{w.chrom}:{w.start}-{w.end}")
    return spans, regions


def stamp() -> str:
    """Inputs are reused only if made by the same generator and simulator."""
    digest = hashlib.sha256((HERE / "generate.py").read_bytes())
    for path in sorted((REPO / "src" / "fusioncheck" / "simulate").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def simulated(cache: Path, assay: str) -> Path:
    out = cache / f"sim-{assay}"
    key = stamp()
    if (out / "stamp").exists() and (out / "stamp").read_text() == key:
        return out
    shutil.rmtree(out, ignore_errors=True)
    run(["fusioncheck", "simulate", "--outdir", str(out), "--assay", assay, "--seed", "1"])
    (out / "stamp").write_text(key)
    return out


def big_bam(cache: Path, sim: Path, assay: str, pairs: int) -> tuple[Path, float | None]:
    """The generated BAM and the seconds it took (None: reused from the cache)."""
    bam = cache / f"{assay}-{pairs}.bam"
    key = cache / f"{assay}-{pairs}.stamp"
    if bam.exists() and Path(f"{bam}.bai").exists() and key.exists():
        if key.read_text() == stamp():
            return bam, None
    truth = json.loads((sim / "truth.json").read_text())["spec"]
    start = time.perf_counter()
    spans, _ = windows()
    generate.build(
        sim / "sample.bam",
        bam,
        pairs,
        assay == "rna",
        seed=pairs % 1_000_003,
        windows=spans,
        mean=truth["fragment_mean"],
        sd=truth["fragment_sd"],
        level=1,
    )
    key.write_text(stamp())
    return bam, time.perf_counter() - start


# --- measurements -----------------------------------------------------------------------------


def scan_command(bam: Path, sim: Path, outdir: Path, name: str) -> list[str]:
    # The interpreter itself, as the pysam floor runs: a `fusioncheck` on PATH may be a
    # version manager's shell shim (pyenv's adds ~0.1 s of bash to every run).
    return [
        sys.executable,
        "-m",
        "fusioncheck",
        "scan",
        str(bam),
        "--sample",
        name,
        "--outdir",
        str(outdir),
        "--reference",
        str(sim / "genome.fa.gz"),
    ]


PY_FLOOR = (
    "import sys, pysam\n"
    "bam = pysam.AlignmentFile(sys.argv[1])\n"
    "n = 0\n"
    "for region in sys.argv[2:]:\n"
    "    for read in bam.fetch(region=region):\n"
    "        n += 1\n"
    "print(n)\n"
)


def summary(result: dict) -> tuple:
    """What must not change when filler is added: the call and every fusion's evidence."""
    return (
        result["call"],
        result["qc"]["reads_in_windows"],
        [
            (f["breakpoint_5p"], f["breakpoint_3p"], f["split_reads"], f["spanning_pairs"])
            for f in result["fusions"]
        ],
    )


def measure_input(
    bam: Path, sim: Path, regions: list[str], repeats: int, work: Path, reference_result: tuple
) -> dict:
    outdir = work / "scan"
    name = bam.stem.replace("-", "_")
    scans, floors, pyfloors, rss = [], [], [], []
    count = None
    for _ in range(repeats):
        wall, peak, _ = timed_rss(scan_command(bam, sim, outdir, name))
        scans.append(wall)
        rss.append(peak)
        wall, _, out = timed_rss(["samtools", "view", "-c", str(bam), *regions])
        floors.append(wall)
        count = int(out)
        wall, _, _ = timed_rss([sys.executable, "-c", PY_FLOOR, str(bam), *regions])
        pyfloors.append(wall)
    result = json.loads((outdir / f"{name}.fusioncheck.json").read_text())
    full, _, total = timed_rss(["samtools", "view", "-c", "-@", "2", str(bam)])
    return {
        "scan": min(scans),
        "floor": min(floors),
        "pyfloor": min(pyfloors),
        "rss": max(rss),
        "full": full,
        "records": int(total),
        "window_records": count,
        "size_mb": bam.stat().st_size / 1e6,
        "same": summary(result) == reference_result,
        "call": result["call"],
    }


def delly(bam: Path, sim: Path, work: Path, scan_seconds: float) -> dict:
    out = work / "delly.bcf"
    wall, peak, _ = timed_rss(
        ["delly", "call", "-g", str(sim / "genome.fa.gz"), "-o", str(out), str(bam)]
    )
    truth = json.loads((sim / "truth.json").read_text())
    want = {
        (f["breakpoint_5p"], f["breakpoint_3p"])
        for f in truth["fusions"]
        if f.get("role") == "fusion"
    }
    calls = run(
        [
            "bcftools",
            "query",
            "-f",
            "%CHROM\t%POS\t%INFO/CHR2\t%INFO/POS2\t%INFO/SVTYPE\t%FILTER\n",
            str(out),
        ]
    ).stdout
    found = set()
    nearest = None
    for line in calls.splitlines():
        chrom, pos, chr2, pos2, svtype, _ = line.split("\t")
        if svtype not in ("BND", "TRA"):
            continue
        ends = {f"{chrom}:{pos}", f"{chr2}:{pos2}"}
        for five, three in want:
            if ends == {five, three}:
                found.add((five, three))
            else:
                try:
                    d = max(
                        abs(int(pos) - int(p.split(":")[1]))
                        for p in (five, three)
                        if p.split(":")[0] == chrom
                    )
                    nearest = d if nearest is None else min(nearest, d)
                except ValueError:
                    pass
    return {
        "wall": wall,
        "rss": peak,
        "ratio": wall / scan_seconds,
        "calls": len(calls.splitlines()),
        "exact": found == want,
        "want": sorted(want),
        "nearest": nearest,
    }


def workflow(cache: Path, bams: dict[str, tuple[Path, Path]], samples: int, work: Path) -> dict:
    """The Snakemake workflow on ``samples`` samples (hard links to the smallest RNA and DNA
    BAMs), reports off, --cores 2, using benchmarks/workflow_dryrun.py's runner."""
    spec = importlib.util.spec_from_file_location("workflow_dryrun", HERE / "workflow_dryrun.py")
    dryrun = importlib.util.module_from_spec(spec)
    assert spec.loader
    spec.loader.exec_module(dryrun)
    root = work / "cohort"
    data = root / "data"
    data.mkdir(parents=True)
    lines = ["sample\tbam\tassay\treference\tbuild"]
    for assay, (_, sim) in bams.items():
        os.link(sim / "genome.fa.gz", data / f"{assay}.fa.gz")
        for suffix in (".fai", ".gzi"):
            os.link(sim / f"genome.fa.gz{suffix}", data / f"{assay}.fa.gz{suffix}")
    for i in range(samples):
        assay = ASSAYS[i % 2]
        bam, _ = bams[assay]
        name = f"S{i:04d}"
        os.link(bam, data / f"{name}.bam")
        os.link(f"{bam}.bai", data / f"{name}.bam.bai")
        lines.append(f"{name}\t../data/{name}.bam\t{assay}\t../data/{assay}.fa.gz\tGRCh38")
    (root / "config").mkdir()
    (root / "config" / "samples.tsv").write_text("\n".join(lines) + "\n")
    (root / "config" / "config.yaml").write_text(
        "samples: config/samples.tsv\nreport: false\nthresholds: {}\n"
    )
    startup = dryrun.snakemake(root, "-n")
    wall = dryrun.snakemake(root)
    job_seconds = 0.0
    jobs = 0
    for tsv in (root / "logs" / "benchmarks").rglob("*.tsv"):
        with open(tsv) as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        job_seconds += float(row["s"])
        jobs += 1
    calls = Counter(
        json.loads(p.read_text())["call"] for p in (root / "results" / "scan").glob("*.json")
    )
    work_wall = wall - startup
    return {
        "samples": samples,
        "jobs": jobs,
        "wall": wall,
        "startup": startup,
        "per_sample": work_wall / samples,
        "job_seconds": job_seconds,
        # Core-seconds the run had (2 cores after start-up) minus the jobs' own time, per job.
        "overhead_per_job": max(0.0, 2 * work_wall - job_seconds) / jobs,
        "calls": dict(calls),
    }


def profile(
    bam: Path, sim: Path, work: Path, runs: int
) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """py-spy over ``runs`` scans: (samples, inclusive share of fusioncheck functions and
    of imports, self share of leaf functions)."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for i in range(runs):
        raw = work / f"profile-{bam.stem}-{i}.txt"
        command = scan_command(bam, sim, work / "scan", "prof")
        run(["py-spy", "record", "-r", "1000", "-f", "raw", "-o", str(raw), "--", *command])
        for line in raw.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            count = int(count_text)
            frames = stack.split(";")
            total += count
            names = set()
            for frame in frames:
                m = re.match(r"(.+?) \((.+?):\d+\)", frame)
                if not m:
                    continue
                func, path = m.groups()
                if "fusioncheck/" in path and "__main__" not in path:
                    names.add(f"{path.split('fusioncheck/')[-1]}:{func}")
                if func == "<module>" and "fusioncheck/__main__" not in path:
                    names.add("(imports: module top levels)")
            inclusive.update({n: count for n in names})
            m = re.match(r"(.+?) \((.+?):\d+\)", frames[-1])
            leaf[f"{m.group(2).split('/')[-1]}:{m.group(1)}" if m else frames[-1]] += count
    inc = [(n, c / total) for n, c in inclusive.most_common(12)]
    own = [(n, c / total) for n, c in leaf.most_common(8)]
    return total, inc, own


# --- panel depth ----------------------------------------------------------------------------


def panel_spans(assay: str) -> dict[str, list[tuple[int, int]]]:
    """Where a panel's reads go: RNA, the exons of both genes (a capture or anchored-PCR
    profile: every read on a transcript); DNA, the whole windows (tiled introns and exons)."""
    from fusioncheck.config import Thresholds
    from fusioncheck.genes import load
    from fusioncheck.target import load_target

    models = load("GRCh38")
    spans: dict[str, list[tuple[int, int]]] = {}
    for w in load_target().windows(models, Thresholds().flank):
        if assay == "rna":
            exons = sorted((e.start - 1, e.end) for e in models[w.gene].exons)
            spans.setdefault(w.chrom, []).extend(exons)
        else:
            spans.setdefault(w.chrom, []).append((w.start - 1, w.end))
    return spans


def panel_bam(cache: Path, sim: Path, assay: str, reads: int) -> tuple[Path, float | None]:
    """A BAM with about ``reads`` records in the windows (simulator's plus filler)."""
    bam = cache / f"panel-{assay}-{reads}.bam"
    key = cache / f"panel-{assay}-{reads}.stamp"
    if bam.exists() and Path(f"{bam}.bai").exists() and key.exists():
        if key.read_text() == stamp():
            return bam, None
    truth = json.loads((sim / "truth.json").read_text())["spec"]
    start = time.perf_counter()
    generate.build_panel(
        sim / "sample.bam", bam, reads, assay == "rna", reads % 1_000_003,
        panel_spans(assay), truth["fragment_mean"], truth["fragment_sd"], sim / "genome.fa.gz",
    )  # fmt: skip
    key.write_text(stamp())
    return bam, time.perf_counter() - start


def measure_panel(bam: Path, sim: Path, regions: list[str], repeats: int, work: Path) -> dict:
    """Scan with 1 and 2 threads against samtools and a bare pysam loop over the same reads."""
    name = bam.stem.replace("-", "_")
    best: dict[str, float] = {}
    rss: dict[str, float] = {}
    count = 0
    commands = {
        "scan": scan_command(bam, sim, work / "scan", name),
        "scan2": [*scan_command(bam, sim, work / "scan", name + "_t2"), "--threads", "2"],
        "floor": ["samtools", "view", "-c", str(bam), *regions],
        "pyfloor": [sys.executable, "-c", PY_FLOOR, str(bam), *regions],
    }
    for _ in range(repeats):
        for what, command in commands.items():
            wall, peak, out = timed_rss(command)
            best[what] = min(wall, best.get(what, wall))
            rss[what] = max(peak, rss.get(what, peak))
            if what == "floor":
                count = int(out)
    one = json.loads((work / "scan" / f"{name}.fusioncheck.json").read_text())
    two = json.loads((work / "scan" / f"{name}_t2.fusioncheck.json").read_text())
    # The run (times, host), sample name and command line differ by construction.
    same = [
        {k: v for k, v in r.items() if k not in ("run", "sample", "command")} for r in (one, two)
    ]
    return {**best, "rss": rss["scan"], "rss2": rss["scan2"], "window_records": count,
            "same_threads": same[0] == same[1], "call": one["call"]}  # fmt: skip


def panel_tables(rows: list[dict], target: int) -> tuple[list[str], list[tuple]]:
    out = ["### Panel depth: every read in the windows", ""]
    out.append(
        "| assay | reads in windows | `samtools view -c` | pysam loop | scan, 1 thread | "
        "scan reads/s | scan / pysam | scan / samtools | scan, `--threads 2` | 1 / 2 threads | "
        "peak RSS 1 / 2 threads | same result 1 and 2 threads | call |"
    )
    out.append("|" + "---|" * 13)
    for r in rows:
        out.append(
            f"| {r['assay']} | {r['window_records']:,} | {r['floor']:.2f} s | "
            f"{r['pyfloor']:.2f} s | {r['scan']:.2f} s | {r['window_records'] / r['scan']:,.0f} | "
            f"{r['scan'] / r['pyfloor']:.1f}x | {r['scan'] / r['floor']:.0f}x | "
            f"{r['scan2']:.2f} s | {r['scan'] / r['scan2']:.2f}x | "
            f"{r['rss']:.0f} / {r['rss2']:.0f} MB | {'yes' if r['same_threads'] else 'NO'} | "
            f"{r['call']} |"
        )
    targets = []
    for r in [r for r in rows if r["reads"] == target]:
        a, size = r["assay"].upper(), label(target)
        targets += [
            (f"{a} panel, {size} reads: scan within 3x the pysam loop",
             f"{r['scan'] / r['pyfloor']:.1f}x", _met(r["scan"] <= 3 * r["pyfloor"])),
            (f"{a} panel, {size} reads: scan within 15x `samtools view -c`",
             f"{r['scan'] / r['floor']:.0f}x", _met(r["scan"] <= 15 * r["floor"])),
            (f"{a} panel, {size} reads: `--threads 2` at least 1.6x faster",
             f"{r['scan'] / r['scan2']:.2f}x", _met(r["scan"] >= 1.6 * r["scan2"])),
        ]  # fmt: skip
    largest = [r for r in rows if r["reads"] == max(x["reads"] for x in rows)]
    worst = max(max(r["rss"], r["rss2"]) for r in largest)
    targets.append(
        (f"panel, {label(largest[0]['reads'])} reads: peak RSS under {RSS_LIMIT_MB} MB",
         f"{worst:.0f} MB", _met(worst < RSS_LIMIT_MB))
    )  # fmt: skip
    return out, targets


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def panel(cache: Path, sims: dict[str, Path], sizes: list[int], repeats: int, work: Path) -> list:
    rows = []
    _, regions = windows()
    for assay in ASSAYS:
        for reads in sizes:
            log(f"panel {assay} {label(reads)} reads: input")
            bam, seconds = panel_bam(cache, sims[assay], assay, reads)
            log(f"panel {assay} {label(reads)} reads: measuring")
            row = measure_panel(bam, sims[assay], regions, repeats, work)
            rows.append({**row, "assay": assay, "reads": reads, "generated": seconds})
            log(f"panel {assay} {label(reads)} reads: {rows[-1]}")
    return rows


# --- machine and tables -----------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) // 1024 // 1024

    def version(command: list[str]) -> str:
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, errors="replace", check=False
            )
        except OSError:
            return "not found"
        lines = (done.stdout + done.stderr).strip().splitlines()
        return lines[0].strip() if lines else "unknown"

    import pysam

    from fusioncheck import __version__

    load = os.getloadavg()
    return "\n".join(
        [
            f"- machine: {os.cpu_count()} cores (nproc {run(['nproc']).stdout.strip()}), {cpu}, "
            f"{mem} GiB RAM; {platform.system()} {platform.release()}; load average at the end "
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)",
            f"- versions: fusioncheck {__version__}, Python {platform.python_version()}, pysam "
            f"{pysam.__version__}, {version(['samtools', '--version'])}, "
            f"{version(['bgzip', '--version'])}, {version(['delly', '--version'])}, "
            f"snakemake {version(['snakemake', '--version'])}, "
            f"{version(['py-spy', '--version'])}",
        ]
    )


def tables(rows: list[dict], targets: list[tuple], dl: dict | None, wf: dict, prof: dict) -> str:
    out = ["### Per input", ""]
    out.append(
        "| assay | read pairs | BAM | records | in windows | generated in | "
        "`samtools view -c` windows | "
        "Python+pysam fetch windows | `fusioncheck scan` | scan / floor | scan / Python floor | "
        "full pass `view -c -@2` | full / scan | scan peak RSS | same result as simulator BAM |"
    )
    out.append("|" + "---|" * 15)
    for r in rows:
        gen = "cached" if r["generated"] is None else f"{r['generated']:.0f} s"
        out.append(
            f"| {r['assay']} | {label(r['pairs'])} | {r['size_mb']:,.0f} MB | {r['records']:,} | "
            f"{r['window_records']:,} | {gen} | {r['floor'] * 1000:.0f} ms | "
            f"{r['pyfloor'] * 1000:.0f} ms | {r['scan'] * 1000:.0f} ms | "
            f"{r['scan'] / r['floor']:.0f}x | {r['scan'] / r['pyfloor']:.1f}x | "
            f"{r['full']:.1f} s | "
            f"{r['full'] / r['scan']:.2g}x | {r['rss']:.0f} MB | {'yes' if r['same'] else 'NO'} |"
        )
    out += ["", "### Targets", "", *_target_rows(targets)]
    if dl:
        out += [
            "",
            "### Delly (`delly call -g genome.fa.gz`) on the same DNA BAM",
            "",
            f"{dl['wall']:.1f} s wall, {dl['rss']:.0f} MB peak RSS, {dl['calls']} records; "
            f"truth {dl['want']}: "
            + (
                "found exactly"
                if dl["exact"]
                else f"NOT found exactly (nearest {dl['nearest']} bp)"
            ),
        ]
    out += [
        "",
        f"### Workflow: {wf['samples']} samples, `--cores 2`, reports off",
        "",
        f"{wf['wall']:.1f} s wall ({wf['startup']:.1f} s start-up: parse, sheet, DAG), "
        f"{wf['jobs']} jobs with a benchmark file summing {wf['job_seconds']:.1f} s; "
        f"**{wf['per_sample']:.2f} s wall per sample**; Snakemake's own overhead "
        f"**{wf['overhead_per_job']:.3f} s per job** (2 cores x (wall - start-up) - the jobs' "
        f"own seconds, per job); calls {wf['calls']}.",
    ]
    for name, (samples, inc, own) in prof.items():
        out += ["", f"### Profile: {name} ({samples} py-spy samples at 1 kHz)", ""]
        out.append("| inclusive (fusioncheck functions, imports) | share |")
        out.append("|---|---|")
        out += [f"| `{n}` | {s:.0%} |" for n, s in inc]
        out += ["", "| self (leaf frames) | share |", "|---|---|"]
        out += [f"| `{n}` | {s:.0%} |" for n, s in own]
    return "\n".join(out)


def write_doc(text: str, path: Path, block: str = "results") -> None:
    doc = path.read_text() if path.exists() else ""
    begin, end = f"<!-- {block}: begin -->", f"<!-- {block}: end -->"
    block = f"{begin}\n{text}\n{end}"
    if begin in doc:
        doc = doc[: doc.index(begin)] + block + doc[doc.index(end) + len(end) :]
    else:
        doc += "\n" + block + "\n"
    path.write_text(doc)


def bytecode() -> None:
    """Compile the package as an install leaves it: where PYTHONDONTWRITEBYTECODE is set (as
    in this machine's environment), every scan would otherwise compile each module again and
    the benchmark would time the compiler."""
    compileall.compile_dir(str(REPO / "src" / "fusioncheck"), quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs: a smoke test")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, help="workflow samples (default 200; quick 6)")
    parser.add_argument("--write-doc", type=Path, nargs="?", const=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--panel-only", action="store_true", help="only the panel-depth measurements"
    )
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    samples = args.samples or mode["samples"]
    started = time.perf_counter()
    bytecode()
    args.cache.mkdir(parents=True, exist_ok=True)
    _, regions = windows()
    rows: list[dict] = []
    sims: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="fcbench-") as tmp:
        work = Path(tmp)
        (work / "scan").mkdir()
        for assay in ASSAYS:
            sim = sims[assay] = simulated(args.cache, assay)
            if args.panel_only:
                continue
            base = work / "scan"
            run(scan_command(sim / "sample.bam", sim, base, f"sim_{assay}"))
            reference = summary(json.loads((base / f"sim_{assay}.fusioncheck.json").read_text()))
            for pairs in mode["sizes"]:
                log(f"{assay} {label(pairs)} pairs: input")
                bam, seconds = big_bam(args.cache, sim, assay, pairs)
                log(f"{assay} {label(pairs)} pairs: measuring")
                row = measure_input(bam, sim, regions, args.repeats, work, reference)
                row.update(assay=assay, pairs=pairs, generated=seconds, bam=bam)
                rows.append(row)
        log("panel depth")
        panel_rows = panel(args.cache, sims, mode["panel"], args.repeats, work)
        panel_text, panel_targets = panel_tables(panel_rows, mode["panel_target"])
        if args.panel_only:
            return _finish(args, "\n".join(panel_text + ["", *_target_rows(panel_targets)]))
        by = {(r["assay"], r["pairs"]): r for r in rows}
        small, mid, large = (
            mode["sizes"][0],
            mode["sizes"][len(mode["sizes"]) // 2],
            mode["sizes"][-1],
        )
        log("delly")
        dl = delly(
            by[("dna", mode["delly_size"])]["bam"],
            sims["dna"],
            work,
            by[("dna", mode["delly_size"])]["scan"],
        )
        log(f"workflow, {samples} samples")
        wf = workflow(
            args.cache, {a: (by[(a, small)]["bam"], sims[a]) for a in ASSAYS}, samples, work
        )
        log("profiles")
        prof = {
            f"scan of the {label(large)}-pair {a.upper()} BAM": profile(
                by[(a, large)]["bam"], sims[a], work, 3
            )
            for a in ASSAYS
        }
    targets = []
    for a in ASSAYS:
        r = by[(a, mid)]
        targets.append(
            (
                f"{a.upper()}: scan within 3x of `samtools view -c` over the windows at "
                f"{label(mid)} pairs",
                f"{r['scan'] / r['floor']:.0f}x ({r['scan'] * 1000:.0f} ms vs "
                f"{r['floor'] * 1000:.0f} ms); "
                f"{r['scan'] / r['pyfloor']:.1f}x of the Python+pysam floor",
                "yes" if r["scan"] <= 3 * r["floor"] else "**no** (see below)",
            )
        )
    for a in ASSAYS:
        s, l_ = by[(a, small)], by[(a, large)]
        ratio = l_["scan"] / s["scan"]
        targets.append(
            (
                f"{a.upper()}: scan time flat, {label(large)} vs {label(small)} pairs "
                "(within 1.5x)",
                f"{ratio:.2f}x ({l_['scan'] * 1000:.0f} ms vs {s['scan'] * 1000:.0f} ms) on a "
                f"{l_['size_mb'] / s['size_mb']:.0f}x larger file",
                "yes" if ratio <= 1.5 else "**no**",
            )
        )
    worst = max(r["rss"] for r in rows)
    targets.append(
        (
            f"peak RSS of a scan under {RSS_LIMIT_MB} MB at every size",
            f"max {worst:.0f} MB",
            "yes" if worst < RSS_LIMIT_MB else "**no**",
        )
    )
    targets.append(
        (
            "result unchanged by the filler (call, reads in windows, every fusion's "
            "breakpoints and counts)",
            f"{sum(r['same'] for r in rows)} of {len(rows)} inputs",
            "yes" if all(r["same"] for r in rows) else "**no**",
        )
    )
    for a in ASSAYS:
        r = by[(a, large)]
        targets.append(
            (
                f"{a.upper()}: full-file pass / scan at {label(large)} pairs",
                f"{r['full'] / r['scan']:.2g}x ({r['full']:.1f} s vs {r['scan']:.2f} s)",
                "(ratio)",
            )
        )
    targets.append(
        (
            f"DNA: Delly / scan at {label(mode['delly_size'])} pairs; Delly finds the truth's "
            "breakpoints",
            f"{dl['ratio']:.0f}x; {'same breakpoints' if dl['exact'] else 'different breakpoints'}",
            "(ratio)",
        )
    )
    targets.append(
        (
            f"workflow, {samples} samples, --cores 2: wall per sample / Snakemake overhead per job",
            f"{wf['per_sample']:.2f} s / {wf['overhead_per_job']:.3f} s",
            "(measure)",
        )
    )
    targets += panel_targets
    text = tables(rows, targets, dl, wf, prof) + "\n\n" + "\n".join(panel_text)
    total = time.perf_counter() - started
    text += (
        f"\n\nWhole run: {total / 60:.1f} min ({'--quick' if args.quick else 'full'}; "
        f"{sum(r['generated'] or 0 for r in rows):.0f} s generating inputs, "
        f"{sum(r['generated'] is None for r in rows)} of {len(rows)} reused from the cache).\n\n"
        + machine()
    )
    return _finish(args, text)


def _finish(args: argparse.Namespace, text: str) -> int:
    text += f"\n\n{machine()}" if args.panel_only else ""
    print(text)
    if args.write_doc:
        write_doc(text, args.write_doc, "panel" if args.panel_only else "results")
    return 0


def _target_rows(targets: list[tuple]) -> list[str]:
    out = ["| target | measured | met |", "|---|---|---|"]
    return out + [f"| {name} | {measured} | {met} |" for name, measured, met in targets]


if __name__ == "__main__":
    raise SystemExit(main())
