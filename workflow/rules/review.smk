# Evidence a reviewer can open (docs/output.md): the scan job also writes, per sample,
# results/evidence/SAMPLE.evidence.bam (+ .bai), the reads behind every reported record and
# every filtered junction read, tagged, and SAMPLE.igv.xml, an IGV session opening them at both
# breakpoints.  Switched by `evidence: true` (default); the report then draws the reads.
# Included before scan.smk and report.smk, whose rules use these functions.

EVIDENCE_DIR = "results/evidence"
# Outputs of the scan rule (patterns in {sample}).
EVIDENCE_OUTPUTS = (
    [
        f"{EVIDENCE_DIR}/{{sample}}{ext}"
        for ext in (".evidence.bam", ".evidence.bam.bai", ".igv.xml")
    ]
    if config["evidence"]
    else []
)


def evidence_files(sample):
    """The evidence files the scan of `sample` writes ([] when `evidence: false`)."""
    return [pattern.format(sample=sample) for pattern in EVIDENCE_OUTPUTS]


def evidence_option():
    return f"--evidence-bam --evidence-dir {EVIDENCE_DIR}" if config["evidence"] else ""


def review_outputs():
    return [f for sample in sorted(SAMPLES) for f in evidence_files(sample)]
