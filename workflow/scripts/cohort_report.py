"""Run `fusioncheck report --cohort` over every sample's JSON.

Run by the `cohort_report` rule (Snakemake's script directive provides ``snakemake``).  The
paths are passed as separate arguments without a shell, so thousands of samples do not
overflow one shell argument.  `fusioncheck report` writes the page under a temporary name and
renames it, so a killed run leaves no page that looks final.
"""

import subprocess
import sys

snakemake = globals()["snakemake"]
command = [
    "fusioncheck",
    "report",
    "--cohort",
    "--out",
    snakemake.output.html,
    "--report-dir",
    snakemake.params.report_dir,
    *snakemake.input.results,
]
with open(snakemake.log[0], "w") as log:
    done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
sys.exit(done.returncode)
