# Open each input before scanning: header, index, sort order, build, contig style, reference.
# A bad file fails here with the fix in logs/check_input/{sample}.log.


rule check_input:
    input:
        bam=get_bam,
        index=get_index,
        reference=get_reference,
    output:
        "results/check/{sample}.json",
    log:
        "logs/check_input/{sample}.log",
    benchmark:
        "logs/benchmarks/check_input/{sample}.tsv"
    conda:
        "../envs/fusioncheck.yaml"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    params:
        sheet=config["samples"],
    shell:
        "fusioncheck check-sheet {params.sheet:q} --sample {wildcards.sample:q} --inspect"
        " --out {output:q} > {log:q} 2>&1"
