# Evidence a reviewer can open (docs/output.md): each batch's scan job also writes, for every
# sample it scanned, results/evidence/BATCH/SAMPLE.evidence.bam (+ .bai), the reads behind
# every reported record and every filtered junction read, tagged, and SAMPLE.igv.xml, an IGV
# session opening them at both breakpoints.  One directory per batch, because a sample whose
# input fails has no evidence to write.  Switched by `evidence: true` (default); the report
# then draws the reads.  Included before scan.smk and report.smk, whose rules use these.

from fusioncheck.review.igv_html import IGV_JS_IN_CHECKOUT, IgvHtmlError, check_ready

EVIDENCE_DIR = "results/evidence"


def evidence_dir(batch):
    return f"{EVIDENCE_DIR}/{batch}"


def batch_of(sample):
    return next(batch for batch, members in BATCHES.items() if sample in members)


def evidence_input(wildcards):
    """The evidence directory of the sample's batch ([] when `evidence: false`)."""
    return [evidence_dir(batch_of(wildcards.sample))] if config["evidence"] else []


def evidence_option(wildcards, input):
    return f"--evidence-dir {input.evidence[0]}" if config["evidence"] else ""


def review_outputs():
    return [evidence_dir(batch) for batch in BATCHES] if config["evidence"] else []


# Optional interactive page, `igv_html: true` (docs/output.md): results/evidence/SAMPLE.igv.html
# for every sample scanned, igv.js drawing the evidence BAM at both breakpoints of each record
# (a sample without a reported record gets a short page saying so).  Beside the batch
# directories, not in them: Snakemake allows no output inside another rule's directory.
# Whether igv-reports and igv.js are there is checked now, not job by job.
if config["igv_html"]:
    if not config["evidence"]:
        raise WorkflowError(
            "igv_html: true draws the evidence BAM: set evidence: true as well"
        )
    try:
        IGV_JS = str(check_ready(Path(workflow.basedir).parent / IGV_JS_IN_CHECKOUT))
    except IgvHtmlError as exc:
        raise WorkflowError(str(exc)) from None


def igv_html_outputs(wildcards):
    if not config["igv_html"]:
        return []
    return expand(f"{EVIDENCE_DIR}/{{sample}}.igv.html", sample=scanned_ok())


rule igv_html:
    input:
        json="results/scan/{sample}.fusioncheck.json",
        evidence=evidence_input,
        reference=get_reference,
    output:
        f"{EVIDENCE_DIR}/{{sample}}.igv.html",
    log:
        "logs/igv_html/{sample}.log",
    benchmark:
        "logs/benchmarks/igv_html/{sample}.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        igv_js=lambda wildcards: IGV_JS,
    script:
        "../scripts/igv_html.py"
