# Per-sample report (self-contained HTML, PDF printed by headless Chromium, VCF BND records)
# rendered from the JSON by `fusioncheck report`, and a cohort page linking them all.
# Switched by `report: true`; each job writes into a temporary directory and moves the files
# into place, so a killed run leaves no file that looks final.


rule report:
    input:
        json="results/scan/{sample}.fusioncheck.json",
    output:
        report_files("{sample}"),
    log:
        "logs/report/{sample}.log",
    benchmark:
        "logs/benchmarks/report/{sample}.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tmpdir=lambda wildcards, output: os.path.join(
            os.path.dirname(output[0]), f".{wildcards.sample}.tmp"
        ),
        extra="" if config["report_pdf"] else "--no-pdf",
    shell:
        "(rm -rf {params.tmpdir:q}"
        " && fusioncheck report {input.json:q} --outdir {params.tmpdir:q} {params.extra}"
        " && for f in {output:q}; do mv {params.tmpdir:q}/$(basename $f) $f; done"
        " && rm -rf {params.tmpdir:q}) > {log:q} 2>&1"


rule cohort_report:
    input:
        results=expand("results/scan/{sample}.fusioncheck.json", sample=sorted(SAMPLES)),
        reports=expand("results/report/{sample}.report.html", sample=sorted(SAMPLES)),
    output:
        html="results/cohort/cohort.html",
    log:
        "logs/cohort_report/cohort_report.log",
    benchmark:
        "logs/benchmarks/cohort_report/cohort_report.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    script:
        "../scripts/cohort_report.py"
