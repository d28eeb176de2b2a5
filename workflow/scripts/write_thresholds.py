"""Write the config's thresholds section as the YAML file `fusioncheck scan --config` reads.

Run by the `thresholds` rule (Snakemake's script directive provides ``snakemake``).  Written
under a temporary name and renamed, so a killed run leaves no partial file.
"""

from pathlib import Path

import yaml

from fusioncheck.output import atomic_write

snakemake = globals()["snakemake"]
target = snakemake.output[0]
text = "# Written by the fusioncheck workflow from the config's thresholds section.\n"
text += yaml.safe_dump({"thresholds": dict(snakemake.params.thresholds)}, sort_keys=True)
atomic_write({Path(target): text})
with open(snakemake.log[0], "w") as handle:
    handle.write(f"wrote {target}: {dict(snakemake.params.thresholds)}\n")
