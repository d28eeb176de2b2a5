# The thresholds section of the config, as the file `fusioncheck scan --config` reads, and the
# scans: one job per batch of samples (`batch_size`), each job one `fusioncheck scan-batch`
# process. Each sample still gets its own JSON and TSV (written atomically); a sample whose
# input is bad gets an ERROR record and the others in its batch go on (--errors-ok: the
# `failures` rule decides whether the run fails). Batches are runs of consecutive sheet rows,
# so a sample appended to the sheet re-scans only the last batch (docs/workflow.md).


localrules:
    thresholds,


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


# One rule per batch: Snakemake cannot name a job's outputs by a function of a wildcard, and
# each sample's result must be its own file.
for _batch, _members in BATCHES.items():

    rule:
        name:
            f"scan_{_batch}"
        input:
            bams=batch_local_files(_members),
            thresholds="results/thresholds.yaml",
        output:
            json=[f"results/scan/{s}.fusioncheck.json" for s in _members],
            tsv=[f"results/scan/{s}.fusioncheck.tsv" for s in _members],
            evidence=[directory(evidence_dir(_batch))] if config["evidence"] else [],
        log:
            f"logs/scan/{_batch}.log",
        benchmark:
            f"logs/benchmarks/scan/{_batch}.tsv"
        conda:
            "../envs/fusioncheck.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            # Minutes: measured 0.3 s a sample and ~2 s start-up (docs/cluster.md); generous.
            runtime=5 + len(_members) // 10,
        params:
            samples=" ".join(f"--sample {shlex.quote(s)}" for s in _members),
            sheet=config["samples"],
            reference=(
                f"--reference {shlex.quote(config['reference'])}"
                if config["reference"]
                else ""
            ),
            extra=scan_flags()
            + (f" --evidence-dir {evidence_dir(_batch)}" if config["evidence"] else ""),
        shell:
            "fusioncheck scan-batch --sheet {params.sheet:q} --outdir results/scan"
            " {params.samples} {params.reference} --config {input.thresholds:q}"
            " --threads {threads} --errors-ok {params.extra} > {log:q} 2>&1"
