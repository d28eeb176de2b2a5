# Per-sample report (self-contained HTML, PDF printed by headless Chromium, VCF BND records)
# rendered from the JSON by `fusioncheck report`, and a cohort page linking them all.
# Switched by `report: true`; each job writes into a temporary directory and moves the files
# into place, so a killed run leaves no file that looks final.
# The `lab:` config block (name, address, accreditation, logo) is the letterhead of every
# per-sample report; empty values print nothing.

LAB = {key: str(value) for key, value in config.get("lab", {}).items() if value}
if LAB.get("logo") and not os.path.isfile(LAB["logo"]):
    raise WorkflowError(
        f"lab: logo {LAB['logo']!r} not found (relative to the working directory); "
        "give the path of a PNG, JPEG or SVG file, or leave logo empty"
    )
LAB_ARGS = [arg for key, value in LAB.items() for arg in (f"--lab-{key}", value)]


rule report:
    input:
        json="results/scan/{sample}.fusioncheck.json",
        logo=[LAB["logo"]] if LAB.get("logo") else [],
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
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
        extra="" if config["report_pdf"] else "--no-pdf",
        lab=LAB_ARGS,
    # Each file is written under a temporary name and renamed by fusioncheck itself.
    shell:
        "fusioncheck report {input.json:q} --outdir {params.outdir:q} {params.extra}"
        " {params.lab:q} > {log:q} 2>&1"


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
