"""Evidence a reviewer can open: the supporting reads of every record (evidence BAM), an IGV
session at both breakpoints, and the reads drawn on the junction.  docs/output.md describes
the files, docs/report.md the figure."""
