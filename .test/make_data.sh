#!/usr/bin/env bash
# Generate the bundled example's data: synthetic controls written by `fusioncheck simulate`
# (deterministic: the same seed gives byte-identical files), one directory per sample.
#   bash .test/make_data.sh [OUTDIR]      (default: .test/data, which .test/config/samples.tsv uses)
set -euo pipefail
out="${1:-$(dirname "${BASH_SOURCE[0]}")/data}"
mkdir -p "$out"

sim() {  # sim NAME [simulate options...]; skipped when already there
  local name="$1"
  shift
  if [ ! -s "$out/$name/truth.json" ]; then
    fusioncheck simulate --outdir "$out/$name" "$@" >/dev/null
  fi
}

# RNA-seq, STAR chimeric output (SA tags), GRCh38: the positive control -> DETECTED.
sim positive_rna --seed 1
# The same library without the fusion, normal coverage -> NOT_DETECTED.
sim negative_rna --seed 2 --fusion-fragments 0 --background 600
# Too few reads at the junction exons to exclude the fusion -> INDETERMINATE.
sim low_coverage_rna --seed 3 --fusion-fragments 0 --background 40
# DNA panel, BWA-MEM, GRCh37 with plain contig names (17, X): genomic break -> DETECTED.
sim positive_dna --seed 4 --assay dna --aligner bwa --build GRCh37 --contig-style plain
# Anchored multiplex PCR panel (primers in TFE3 exons, UMIs in RX, every molecule read three
# times without duplicate flags), BWA-MEM style: counted in molecules -> DETECTED.
sim amp_panel --seed 5 --design amp --aligner bwa --umi rx --pcr-copies 3

echo "example data in $out"
