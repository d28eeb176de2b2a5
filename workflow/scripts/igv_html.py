"""Write one sample's interactive evidence page, results/evidence/SAMPLE.igv.html.

Run by the `igv_html` rule (Snakemake's script directive provides ``snakemake``); the page is
written by fusioncheck.review.igv_html (igv-reports, with igv.js inlined: docs/output.md).
"""

from pathlib import Path

from fusioncheck.errors import FusioncheckError
from fusioncheck.review.igv_html import write_igv_html

snakemake = globals()["snakemake"]
sample = snakemake.wildcards.sample
reference = snakemake.input.reference
references = [reference] if isinstance(reference, str) else list(reference)
with open(snakemake.log[0], "w") as log:
    try:
        out = write_igv_html(
            Path(snakemake.input.json),
            Path(snakemake.input.evidence[0]) / f"{sample}.evidence.bam",
            Path(references[0]) if references else None,
            Path(snakemake.output[0]),
            Path(snakemake.params.igv_js),
        )
    except FusioncheckError as exc:
        log.write(f"igv_html {sample}: {exc}\n")
        raise SystemExit(f"igv_html {sample}: {exc}") from None
    log.write(f"wrote {out} with igv.js {snakemake.params.igv_js}\n")
