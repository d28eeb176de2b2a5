"""Write the config's thresholds section as the YAML file `fusioncheck scan --config` reads.

Run by the `thresholds` rule (Snakemake's script directive provides ``snakemake``).  Written
under a temporary name and renamed, so a killed run leaves no partial file.
"""

import os

import yaml

snakemake = globals()["snakemake"]
target = snakemake.output[0]
tmp = f"{target}.tmp"
with open(tmp, "w") as handle:
    handle.write("# Written by the fusioncheck workflow from the config's thresholds section.\n")
    yaml.safe_dump({"thresholds": dict(snakemake.params.thresholds)}, handle, sort_keys=True)
os.replace(tmp, target)
with open(snakemake.log[0], "w") as handle:
    handle.write(f"wrote {target}: {dict(snakemake.params.thresholds)}\n")
