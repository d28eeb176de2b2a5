#!/usr/bin/env bash
# Install everything fusioncheck, its workflow and its tests need, on Debian 12 (bookworm).
# The one install script: README.md's first command and .ci/run both call it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Aligners and tools the fixtures and tests use; chromium renders the HTML report to PDF;
# delly and GNU time are what benchmarks/run.py compares against and measures memory with.
# nodejs/npm install igv.js for the optional interactive evidence page (igv_html).
# g++ and the Python headers build the compiled read loop (src/fusioncheck/readloop.pyx).
APT_PACKAGES=(samtools bcftools tabix rna-star bwa hisat2 chromium poppler-utils delly time
  nodejs g++ python3-dev)

SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# With recommended packages (fonts for chromium among them), as the tests were run.
$SUDO apt-get install -y -q "${APT_PACKAGES[@]}"
# Debian's nodejs comes without npm (a package of its own); NodeSource's nodejs bundles npm and
# conflicts with Debian's, so install it only where it is missing.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -q npm
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  $SUDO apt-get install -y -q --no-install-recommends python3-pip python3-venv
fi
# A Debian system Python refuses pip installs unless told (PEP 668); other Pythons ignore this.
PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install -q -e ".[test]"

# igv.js for the interactive evidence page, exactly the version and tarball hash that
# resources/igv/package-lock.json pins, into resources/igv/node_modules (not in git); the page
# inlines it, so it must be here before the workflow runs, not fetched by the page.
npm ci --prefix resources/igv --no-audit --no-fund --loglevel=error

echo "fusioncheck installed: $(fusioncheck --version), $(snakemake --version | head -1) (snakemake)"
echo "igv.js $(node -p 'require("./resources/igv/node_modules/igv/package.json").version') for igv_html"
