# Sample sheet, wildcard constraints and the input/param functions the rules share.

import os
import re
import shlex
from pathlib import Path

import pandas as pd
from snakemake.exceptions import WorkflowError

from fusioncheck.sheet import SheetError, index_candidates, read_sheet

# One place reads and checks the sheet (also behind `fusioncheck check-sheet`): a broken sheet
# stops the workflow here, before any job, with every bad row in one message.
try:
    SAMPLE_LIST = read_sheet(config["samples"])
except SheetError as exc:
    raise WorkflowError(str(exc)) from None

SAMPLES = {s.sample: s for s in SAMPLE_LIST}

# Batches: runs of `batch_size` consecutive sheet rows, named by their number. Appending rows
# changes only the last batch; inserting or removing a row in the middle shifts the batches
# after it (docs/workflow.md).
BATCHES = {
    f"batch{n // config['batch_size'] + 1:04d}": [
        s.sample for s in SAMPLE_LIST[n : n + config["batch_size"]]
    ]
    for n in range(0, len(SAMPLE_LIST), config["batch_size"])
}

# Reading the unmapped tail needs a FASTA for every sample: say so now, not job by job.
if config["unmapped_tail"] and not config["reference"]:
    _without = [s.sample for s in SAMPLE_LIST if s.reference is None]
    if _without:
        raise WorkflowError(
            "unmapped_tail: true needs a genome FASTA, but these samples have none (set "
            "`reference` in config/config.yaml or the sheet's reference column): "
            + ", ".join(_without)
        )

# The JSON Schema documents the sheet's columns; read_sheet has checked more (files, indexes).
validate(
    pd.DataFrame(
        [
            {
                "sample": s.sample,
                "bam": str(s.bam),
                "assay": s.assay,
                "reference": str(s.reference or ""),
                "build": s.build,
            }
            for s in SAMPLE_LIST
        ]
    ),
    "../schemas/samples.schema.yaml",
)


wildcard_constraints:
    sample="|".join(re.escape(s) for s in sorted(SAMPLES)),


def sample_of(wildcards):
    return SAMPLES[wildcards.sample]


def get_reference(wildcards):
    """The sample's own FASTA, else config `reference`, else none ([])."""
    reference = sample_of(wildcards).reference or config.get("reference") or None
    return [str(reference)] if reference else []


def reference_option(wildcards, input):
    # A named input from a function returning a list is a list (empty: no reference).
    references = (
        input.reference if isinstance(input.reference, list) else [input.reference]
    )
    return " ".join(f"--reference {shlex.quote(str(r))}" for r in references if r)


def local_files(sample):
    """The sample's local input files (BAM/CRAM, its index, its FASTA): a change to any of
    them re-runs its batch. A remote (https/s3) input is read in place and not tracked.
    """
    files = []
    if isinstance(sample.bam, Path):
        files.append(str(sample.bam))
        # read_sheet has checked that one of these exists.
        files += [str(p) for p in index_candidates(sample.bam) if p.is_file()][:1]
    reference = sample.reference or config.get("reference") or None
    if reference:
        files.append(str(reference))
    return files


def batch_local_files(members):
    return sorted({f for s in members for f in local_files(SAMPLES[s])})


def scan_flags():
    return " ".join(
        flag
        for flag, on in (
            ("--full-checksum", config["full_checksum"]),
            ("--unmapped-tail", config["unmapped_tail"]),
        )
        if on
    )


def scanned_ok():
    """Samples whose scan gave a call (not ERROR), from the cohort summary (a checkpoint)."""
    summary = checkpoints.cohort.get().output.summary
    rows = pd.read_csv(summary, sep="\t", dtype=str, keep_default_na=False)
    return sorted(rows.loc[rows["call"] != "ERROR", "sample"])


def report_files(sample):
    """The report files of one sample (`fusioncheck report` names the VCF without .report)."""
    files = [f"results/report/{sample}.report.html", f"results/report/{sample}.vcf"]
    if config["report_pdf"]:
        files.insert(1, f"results/report/{sample}.report.pdf")
    return files


def get_final_outputs(wildcards):
    outputs = expand(
        "results/scan/{sample}.fusioncheck.{ext}",
        sample=sorted(SAMPLES),
        ext=("json", "tsv"),
    )
    outputs += ["results/cohort/summary.tsv", "results/cohort/fusioncheck_mqc.tsv"]
    outputs.append("results/cohort/failed_samples.tsv")
    if config["report"]:
        # Reports of the samples that were scanned; a failed one has its error record only.
        for sample in scanned_ok():
            outputs += report_files(sample)
        outputs.append("results/cohort/cohort.html")
    return outputs
