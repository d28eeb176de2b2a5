# Per-sample report (HTML, PDF, VCF) rendered from the JSON by `fusioncheck report`.
# Switched by `report: true` in the config; written to a temporary directory and moved into
# place, so a killed run leaves no file that looks final.


rule report:
    input:
        json="results/scan/{sample}.fusioncheck.json",
    output:
        expand(
            "results/report/{{sample}}.report.{ext}",
            ext=config["report_formats"],
        ),
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
        tmpdir=lambda wildcards: f"results/report/.{wildcards.sample}.tmp",
    shell:
        "(rm -rf {params.tmpdir:q}"
        " && fusioncheck report {input.json:q} --outdir {params.tmpdir:q}"
        " && for f in {output:q}; do mv {params.tmpdir:q}/$(basename $f) $f; done"
        " && rm -rf {params.tmpdir:q}) > {log:q} 2>&1"
