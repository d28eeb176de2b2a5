# One summary row per sample and a MultiQC custom-content table, from the per-sample JSONs.
# The result list goes through a file: thousands of paths would overflow one shell argument.


rule cohort:
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
