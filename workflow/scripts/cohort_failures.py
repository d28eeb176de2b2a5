"""The failure gate: list the samples whose scan failed, and fail the run naming them unless
`continue_on_error: true`.

Run by the `failures` rule (Snakemake's script directive provides ``snakemake``) from the
cohort summary, whose `error_kind`, `error` and `fix` columns hold each failed sample's error.
"""

import csv
import sys

snakemake = globals()["snakemake"]
with open(snakemake.input.summary) as handle:
    rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["call"] == "ERROR"]
columns = ("sample", "error_kind", "error", "fix")
with open(snakemake.output[0], "w") as out:
    out.write("\t".join(columns) + "\n")
    out.writelines("\t".join(r[c] for c in columns) + "\n" for r in rows)
with open(snakemake.log[0], "w") as log:
    for r in rows:
        print(f"{r['sample']}: {r['error']}", file=log)
    if rows and not snakemake.params.continue_on_error:
        message = (
            f"{len(rows)} sample(s) failed: {', '.join(r['sample'] for r in rows)}. Each has "
            "an ERROR record in results/scan/ and a row in results/cohort/summary.tsv saying "
            "what to fix; fix the inputs and run again, or set continue_on_error: true."
        )
        print(message, file=log)
        print(message, file=sys.stderr)
        sys.exit(1)
