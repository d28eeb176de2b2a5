# Evidence a reviewer can open (docs/output.md): each batch's scan job also writes, for every
# sample it scanned, results/evidence/BATCH/SAMPLE.evidence.bam (+ .bai), the reads behind
# every reported record and every filtered junction read, tagged, and SAMPLE.igv.xml, an IGV
# session opening them at both breakpoints.  One directory per batch, because a sample whose
# input fails has no evidence to write.  Switched by `evidence: true` (default); the report
# then draws the reads.  Included before scan.smk and report.smk, whose rules use these.

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


def igv_html_outputs(wildcards):
    """The interactive page of every scanned sample (`igv_html: true`; rules/igv_html.smk)."""
    if not config["igv_html"]:
        return []
    return expand(f"{EVIDENCE_DIR}/{{sample}}.igv.html", sample=scanned_ok())
