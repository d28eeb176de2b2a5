"""Run `fusioncheck cohort` over every sample's JSON.

Run by the `cohort` rule (Snakemake's script directive provides ``snakemake``).  The paths go
through a list file because thousands of them would overflow one shell argument; the summary
itself is written (atomically) by the fusioncheck command line tool.
"""

import os
import subprocess
import sys

snakemake = globals()["snakemake"]
listing = snakemake.params.listing
os.makedirs(os.path.dirname(listing) or ".", exist_ok=True)
with open(listing, "w") as handle:
    handle.write("".join(f"{path}\n" for path in snakemake.input.results))
with open(snakemake.log[0], "w") as log:
    done = subprocess.run(
        [
            "fusioncheck",
            "cohort",
            "--from-file",
            listing,
            "--outdir",
            os.path.dirname(snakemake.output.summary),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        check=False,
    )
os.unlink(listing)
sys.exit(done.returncode)
