"""Run `fusioncheck report --cohort` over every sample's JSON.

Run by the `cohort_report` rule (Snakemake's script directive provides ``snakemake``).  The
paths are passed as separate arguments without a shell, so thousands of samples do not
overflow one shell argument.  The page goes to a temporary name first and is then renamed.
"""

import os
import subprocess
import sys

snakemake = globals()["snakemake"]
target = snakemake.output.html
tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.tmp.html")
command = [
    "fusioncheck",
    "report",
    "--cohort",
    "--out",
    tmp,
    "--report-dir",
    os.path.dirname(snakemake.input.reports[0]),
    *snakemake.input.results,
]
with open(snakemake.log[0], "w") as log:
    done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
if done.returncode == 0:
    os.replace(tmp, target)
elif os.path.exists(tmp):
    os.unlink(tmp)
sys.exit(done.returncode)
