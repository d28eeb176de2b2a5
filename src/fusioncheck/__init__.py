"""fusioncheck: ASPSCR1::TFE3 fusion detection from RNA-seq and DNA-panel BAMs."""

__version__ = "0.1.0"
