# The thresholds section of the config, as the file `fusioncheck scan --config` reads, and one
# scan per sample.  scan writes its JSON and TSV atomically (temporary name, then rename).


rule thresholds:
    output:
        "results/thresholds.yaml",
    log:
        "logs/thresholds/thresholds.log",
    benchmark:
        "logs/benchmarks/thresholds/thresholds.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=100,
        runtime=1,
    params:
        thresholds=config["thresholds"],
    script:
        "../scripts/write_thresholds.py"


rule scan:
    input:
        bam=get_bam,
        index=get_index,
        reference=get_reference,
        check="results/check/{sample}.json",
        thresholds="results/thresholds.yaml",
    output:
        json="results/scan/{sample}.fusioncheck.json",
        tsv="results/scan/{sample}.fusioncheck.tsv",
        evidence=EVIDENCE_OUTPUTS,
    log:
        "logs/scan/{sample}.log",
    benchmark:
        "logs/benchmarks/scan/{sample}.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        outdir=lambda wildcards, output: os.path.dirname(output.json),
        reference=reference_option,
        build=lambda wildcards: sample_of(wildcards).build,
        assay=lambda wildcards: sample_of(wildcards).assay,
        extra=" ".join(
            flag
            for flag, on in (
                ("--full-checksum", config["full_checksum"]),
                ("--unmapped-tail", config["unmapped_tail"]),
                (evidence_option(), config["evidence"]),
            )
            if on
        ),
    shell:
        "fusioncheck scan {input.bam:q} --sample {wildcards.sample:q} --outdir {params.outdir:q}"
        " {params.reference} --build {params.build} --assay {params.assay}"
        " --config {input.thresholds:q} --threads {threads} {params.extra}"
        " > {log:q} 2>&1"
