# Sample sheet, wildcard constraints and the input/param functions the rules share.

import os
import re
import shlex

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


def get_bam(wildcards):
    return str(sample_of(wildcards).bam)


def get_index(wildcards):
    # read_sheet has checked that one of these exists.
    for path in index_candidates(sample_of(wildcards).bam):
        if path.is_file():
            return str(path)
    return str(index_candidates(sample_of(wildcards).bam)[0])


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


def report_files(sample):
    """The report files of one sample (`fusioncheck report` names the VCF without .report)."""
    files = [f"results/report/{sample}.report.html", f"results/report/{sample}.vcf"]
    if config["report_pdf"]:
        files.insert(1, f"results/report/{sample}.report.pdf")
    return files


def get_final_outputs():
    outputs = expand(
        "results/scan/{sample}.fusioncheck.{ext}",
        sample=sorted(SAMPLES),
        ext=("json", "tsv"),
    )
    if config["report"]:
        for sample in sorted(SAMPLES):
            outputs += report_files(sample)
        outputs.append("results/cohort/cohort.html")
    outputs += ["results/cohort/summary.tsv", "results/cohort/fusioncheck_mqc.tsv"]
    return outputs
