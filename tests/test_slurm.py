"""The workflow on a real SLURM cluster, through `--workflow-profile workflow/profiles/slurm`.

A module-scoped fixture brings up a private single-node SLURM on this machine with
`.ci/slurm/up.sh` (MariaDB, munged, slurmdbd, slurmctld, slurmd, started by hand: there is no
systemd) and stops it with `.ci/slurm/down.sh` by PID at the end, also when a test fails. The
packages come from `.ci/slurm/install.sh` (Debian's slurmctld slurmd slurm-client munge slurmdbd
mariadb-server); .ci/run's install script should install them already.

This module **fails** when SLURM cannot be started. It **skips**, loudly, only where the packages
cannot be installed (apt-get fails, or no root to run it) -- the one case issue 9 allows.

What is compared: the bundled example runs once locally (`--workflow-profile
workflow/profiles/default`), its results are moved aside, and it runs again on SLURM *in the same
directory*, so paths in the results are identical. Every per-sample JSON must then be equal
apart from `run` (start/finish times, host); every TSV byte for byte. The CI-only overrides on
the command line are the partition/account of the CI cluster, a 1 s first status check and a
`--cores 2` cap (the CI node has 2). The run is wrapped in `timeout -s INT` (SIGINT makes the
plugin cancel its jobs; SIGTERM would wait for them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from builders import empty_bam

REPO = Path(__file__).resolve().parent.parent
SNAKEFILE = REPO / "workflow" / "Snakefile"
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm"
DEFAULT_PROFILE = REPO / "workflow" / "profiles" / "default"
CI_SLURM = REPO / ".ci" / "slurm"
SAMPLES = ("positive_rna", "negative_rna", "low_coverage_rna", "positive_dna")
# The CI cluster's partition and account (made by .ci/slurm/up.sh).
CI_OVERRIDES = (
    "--default-resources", "slurm_partition=ci", "slurm_account=ci",
    "--slurm-init-seconds-before-status-checks", "1",
    "--cores", "2",
)  # fmt: skip
# Seconds: a stuck run is interrupted (SIGINT) long before CI's own limit. Each stage of
# the DAG waits for a sacct poll (~30 s), so the example takes 1-3 min on a loaded machine.
RUN_TIMEOUT = 300
NEEDED = ("slurmctld", "slurmd", "slurmdbd", "sbatch", "sacct", "munged", "mariadbd")


@dataclass(frozen=True)
class Cluster:
    state: Path
    env: dict[str, str]
    bringup_seconds: float

    def run(self, *command: str) -> str:
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        return done.stdout


def _have_slurm() -> bool:
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return all(shutil.which(cmd, path=path) for cmd in NEEDED)


def _say(message: str) -> None:
    """Straight to the terminal, past pytest's capture: CI's log must show it."""
    print(f"\n[test_slurm] {message}", file=sys.__stderr__, flush=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not _have_slurm():
        if os.geteuid() != 0:
            reason = "not root, so apt-get cannot install the SLURM packages"
            _say(f"SKIPPING THE SLURM TESTS: {reason}")
            pytest.skip(f"SLURM TESTS SKIPPED: {reason}")
        done = subprocess.run(
            ["bash", str(CI_SLURM / "install.sh")], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            reason = f"apt-get could not install SLURM:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            _say(f"SKIPPING THE SLURM TESTS: {reason}")
            pytest.skip(f"SLURM TESTS SKIPPED: {reason}")
    if os.geteuid() != 0:
        pytest.fail("the SLURM tests must run as root: they start munged, mariadbd and slurmd")

    # Short, world-traversable path: munged and mariadbd run as their own users inside it.
    state = Path(tempfile.mkdtemp(prefix="fusioncheck-slurm-", dir="/tmp"))
    env = {**os.environ, "SLURM_CONF": str(state / "etc" / "slurm.conf")}
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    ok = False
    try:
        start = time.perf_counter()
        up = subprocess.run(
            ["bash", str(CI_SLURM / "up.sh"), str(state)],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        bringup = time.perf_counter() - start
        if up.returncode != 0:
            pytest.fail(f"SLURM did not come up (.ci/slurm/up.sh):\n{up.stdout}\n{up.stderr}")
        _say(f"SLURM up in {bringup:.1f} s: {up.stdout.strip().splitlines()[-1]}")
        yield Cluster(state, env, bringup)
        ok = True
    finally:
        down = subprocess.run(
            ["bash", str(CI_SLURM / "down.sh"), str(state)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        _say(f"SLURM down:\n{down.stdout}{down.stderr}")
        if ok and down.returncode == 0:
            shutil.rmtree(state, ignore_errors=True)
        else:
            _say(f"cluster state and logs kept in {state}")


def snakemake(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: int = RUN_TIMEOUT
) -> tuple[subprocess.CompletedProcess, float]:
    command = [
        "timeout", "-s", "INT", "-k", "30", str(timeout),
        sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE),
        "--directory", str(root), *args,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return done, time.perf_counter() - start


def show(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def sacct_jobs(cluster: Cluster, root: Path) -> list[dict[str, str]]:
    """This run's cluster jobs, as accounting (slurmdbd) recorded them."""
    out = cluster.run(
        "sacct", "-X", "-n", "-P", "-a", "-S", "now-1hours",
        "-o", "JobID,JobName,Partition,Account,State,ExitCode,WorkDir",
    )  # fmt: skip
    keys = ("id", "name", "partition", "account", "state", "exit", "workdir")
    rows = [dict(zip(keys, line.split("|"))) for line in out.splitlines() if line]
    return [r for r in rows if Path(r["workdir"]) == root]


# --- the bundled example, locally and on SLURM ---------------------------------------------------


@pytest.fixture(scope="module")
def example_runs(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("slurm_example")
    shutil.copytree(REPO / ".test" / "config", root / "config")
    subprocess.run(
        ["bash", str(REPO / ".test" / "make_data.sh"), str(root / "data")],
        check=True, capture_output=True,
    )  # fmt: skip
    local, local_s = snakemake(root, "--workflow-profile", str(DEFAULT_PROFILE), "--cores", "2")
    assert local.returncode == 0, show(local)
    (root / "results").rename(root / "results_local")
    shutil.rmtree(root / "logs")

    slurm, slurm_s = snakemake(
        root, "--workflow-profile", str(SLURM_PROFILE), *CI_OVERRIDES, env=cluster.env
    )
    _say(f"bundled example: local {local_s:.1f} s, SLURM {slurm_s:.1f} s")
    return {
        "root": root, "slurm": slurm, "local_s": local_s, "slurm_s": slurm_s,
        "local_jobs": job_stats(local.stdout + local.stderr),
    }  # fmt: skip


def job_stats(output: str) -> dict[str, int]:
    """Rule -> job count from the "Job stats" table Snakemake prints when a run starts."""
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    counts = {}
    for line in table.splitlines():
        match = re.fullmatch(r"\s*(\w+)\s+(\d+)\s*", line)
        if match and match[1] != "total":
            counts[match[1]] = int(match[2])
    return counts


def test_example_runs_on_slurm(example_runs: dict, cluster: Cluster) -> None:
    done = example_runs["slurm"]
    assert done.returncode == 0, show(done)
    # Both runs planned the same jobs (up to the cohort checkpoint, after which the reports
    # are added): .test/config's batch_size 2 gives three scan jobs for the five samples.
    planned = example_runs["local_jobs"]
    assert job_stats(done.stdout + done.stderr) == planned
    assert {r: n for r, n in planned.items() if r.startswith("scan_")} == {
        "scan_batch0001": 1, "scan_batch0002": 1, "scan_batch0003": 1,
    }  # fmt: skip
    # Through the scheduler: 3 scan batches, cohort, 5 reports, cohort_report. thresholds,
    # failures and all are local rules (they only write or check a small file).
    jobs = sacct_jobs(cluster, example_runs["root"])
    assert len(jobs) == 10, (planned, jobs)
    assert {(j["partition"], j["account"], j["state"], j["exit"]) for j in jobs} == {
        ("ci", "ci", "COMPLETED", "0:0")
    }
    assert example_runs["slurm_s"] < RUN_TIMEOUT


def _without_run_metadata(path: Path) -> dict:
    result = json.loads(path.read_text())
    # When and on which host the scan ran; everything else (including `command` and
    # `input.path`, identical because both runs use the same directory) must agree.
    result.pop("run")
    return result


def test_slurm_results_equal_the_local_ones(example_runs: dict) -> None:
    assert example_runs["slurm"].returncode == 0, show(example_runs["slurm"])
    root = example_runs["root"]
    local, cluster = root / "results_local", root / "results"
    compared = 0
    for sample in SAMPLES:
        name = f"scan/{sample}.fusioncheck.json"
        assert _without_run_metadata(cluster / name) == _without_run_metadata(local / name), name
        name = f"scan/{sample}.fusioncheck.tsv"
        assert (cluster / name).read_bytes() == (local / name).read_bytes(), name
        compared += 2
    for name in ("cohort/summary.tsv", "cohort/fusioncheck_mqc.tsv", "thresholds.yaml",
                 "cohort/failed_samples.tsv"):  # fmt: skip
        assert (cluster / name).read_bytes() == (local / name).read_bytes(), name
    # Nothing produced on one side only.
    files = {p.relative_to(local) for p in local.rglob("*") if p.is_file()}
    assert files == {p.relative_to(cluster) for p in cluster.rglob("*") if p.is_file()}
    assert compared == 8


# --- a bad BAM on the cluster --------------------------------------------------------------------


def test_bad_bam_costs_only_its_sample_on_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    # A BAM cut short: it exists and has an index, so the sheet check at start-up passes, and
    # the scan fails on the node -- inside a batch with a good sample.
    data = tmp_path / "data"
    data.mkdir()
    whole = empty_bam(data / "whole.bam")
    truncated = data / "truncated.bam"
    truncated.write_bytes(whole.read_bytes()[:-28])  # drop the BGZF end-of-file block
    shutil.copy(f"{whole}.bai", f"{truncated}.bai")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "samples.tsv").write_text(
        "sample\tbam\tassay\treference\tbuild\n"
        "good\t../data/whole.bam\trna\t\tGRCh38\n"
        "truncated\t../data/truncated.bam\trna\t\tGRCh38\n"
    )
    (tmp_path / "config" / "config.yaml").write_text(
        "samples: config/samples.tsv\nreport: false\nthresholds: {}\n"
    )

    done, _ = snakemake(
        tmp_path, "--workflow-profile", str(SLURM_PROFILE), *CI_OVERRIDES, env=cluster.env
    )
    assert done.returncode == 1, show(done)
    assert "1 sample(s) failed: truncated." in done.stdout + done.stderr, show(done)
    good = json.loads((tmp_path / "results/scan/good.fusioncheck.json").read_text())
    bad = json.loads((tmp_path / "results/scan/truncated.fusioncheck.json").read_text())
    assert good["call"] == "INDETERMINATE" and bad["call"] == "ERROR"
    assert "truncated.bam" in bad["error"]["message"]
    assert "samtools quickcheck" in bad["error"]["fix"]
    # The batch job and the cohort job completed: the bad BAM failed no cluster job (the
    # failure gate is a local rule), and nothing is left queued.
    jobs = sacct_jobs(cluster, tmp_path)
    assert [j["state"] for j in jobs] == ["COMPLETED", "COMPLETED"], jobs
    assert cluster.run("squeue", "-h", "-o", "%i").strip() == ""


# --- the profile itself (no cluster needed) -----------------------------------------------------


def test_every_profile_setting_is_commented() -> None:
    previous = ""
    for number, line in enumerate((SLURM_PROFILE / "config.yaml").read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            assert "#" in line or previous.lstrip().startswith("#"), (number, line)
        previous = line


def test_profile_names_only_rules_that_exist_and_pins_the_plugin() -> None:
    profile = yaml.safe_load((SLURM_PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    rules = set(re.findall(r"^(?:rule|checkpoint) (\w+):", "\n".join(
        p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk")
    ), re.M))  # fmt: skip
    named = set(profile.get("set-resources", {})) | set(profile.get("set-threads", {}))
    assert named <= rules, named - rules
    assert "snakemake-executor-plugin-slurm>=2.8.0" in (SLURM_PROFILE / "config.yaml").read_text()


def test_partition_and_account_only_in_the_slurm_profile() -> None:
    where = [
        str(p.relative_to(REPO))
        for folder in ("workflow", "config")
        for p in (REPO / folder).rglob("*")
        if p.is_file() and p.suffix in {".yaml", ".smk", ".py", ""}
        and re.search(r"slurm_(partition|account)", p.read_text(errors="replace"))
    ]  # fmt: skip
    assert where == ["workflow/profiles/slurm/config.yaml"]
