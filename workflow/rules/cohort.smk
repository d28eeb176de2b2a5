# One summary row per sample (failed samples with their error) and a MultiQC table, from the
# per-sample JSONs; then the failure gate. `cohort` is a checkpoint: which samples get a
# report depends on which scans failed. The result list goes through a file: thousands of
# paths would overflow one shell argument.


localrules:
    failures,


checkpoint cohort:
    input:
        results=expand("results/scan/{sample}.fusioncheck.json", sample=sorted(SAMPLES)),
    output:
        summary="results/cohort/summary.tsv",
        multiqc="results/cohort/fusioncheck_mqc.tsv",
    log:
        "logs/cohort/cohort.log",
    benchmark:
        "logs/benchmarks/cohort/cohort.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        listing=lambda wildcards, output: os.path.join(
            os.path.dirname(output.summary), ".inputs.txt"
        ),
    script:
        "../scripts/cohort.py"


# Lists the failed samples (sample, kind, message, fix); fails the run naming them unless
# `continue_on_error: true`. A failed gate leaves no list, so the next run checks again.
rule failures:
    input:
        summary="results/cohort/summary.tsv",
    output:
        "results/cohort/failed_samples.tsv",
    log:
        "logs/failures/failures.log",
    conda:
        "../envs/fusioncheck.yaml"
    params:
        continue_on_error=config["continue_on_error"],
    script:
        "../scripts/cohort_failures.py"
