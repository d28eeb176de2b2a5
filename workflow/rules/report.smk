# Per-sample report (self-contained HTML, PDF printed by headless Chromium, VCF BND records)
# rendered from the JSON by `fusioncheck report`, and a cohort page linking them all.
# Switched by `report: true`; fusioncheck writes each file under a temporary name and renames
# it, so a killed run leaves no file that looks final.  With the sample's genome FASTA, the
# VCF carries the real REF bases.
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
        reference=get_reference,
        evidence=evidence_input,  # the read figure draws the evidence BAM
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
        evidence=evidence_option,
        lab=LAB_ARGS,
        reference=reference_option,
    # Each file is written under a temporary name and renamed by fusioncheck itself.
    shell:
        "fusioncheck report {input.json:q} --outdir {params.outdir:q} {params.extra}"
        " {params.evidence} {params.reference} {params.lab:q} > {log:q} 2>&1"


# Every sample is on the cohort page: failed ones with their error, without a report.
rule cohort_report:
    input:
        results=expand("results/scan/{sample}.fusioncheck.json", sample=sorted(SAMPLES)),
        reports=lambda wildcards: expand(
            "results/report/{sample}.report.html", sample=scanned_ok()
        ),
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
    params:
        report_dir="results/report",
    script:
        "../scripts/cohort_report.py"
