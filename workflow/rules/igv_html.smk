# Optional interactive page, `igv_html: true` (docs/output.md): results/evidence/SAMPLE.igv.html
# for every sample scanned, igv.js drawing the evidence BAM at both breakpoints of each record
# (a sample without a reported record gets a short page saying so).  Beside the batch
# directories, not in them: Snakemake allows no output inside another rule's directory.
# Whether igv-reports and igv.js are there is checked now, not job by job.

from fusioncheck.review.igv_html import IGV_JS_IN_CHECKOUT, IgvHtmlError, check_ready

if config["igv_html"]:
    if not config["evidence"]:
        raise WorkflowError(
            "igv_html: true draws the evidence BAM: set evidence: true as well"
        )
    try:
        IGV_JS = str(check_ready(Path(workflow.basedir).parent / IGV_JS_IN_CHECKOUT))
    except IgvHtmlError as exc:
        raise WorkflowError(str(exc)) from None


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
