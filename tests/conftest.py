"""Shared fixtures: simulated controls, generated once per test session."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from chromium import Browser, require_tool
from fusioncheck.simulate import SimulationResult, SimulationSpec, simulate


@pytest.fixture(scope="session")
def simulate_fixture(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., SimulationResult]:
    """``make(**spec_fields) -> SimulationResult``: each distinct spec is simulated once per
    session (in its own temporary directory); the genome FASTA is written once per build and
    contig style and hard-linked into every fixture.  Treat the files as read-only."""
    made: dict[SimulationSpec, SimulationResult] = {}
    genomes = tmp_path_factory.mktemp("genomes")

    def make(**fields: object) -> SimulationResult:
        spec = SimulationSpec(**fields)  # type: ignore[arg-type]
        if spec not in made:
            made[spec] = simulate(spec, tmp_path_factory.mktemp("simulated"), genomes)
        return made[spec]

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every test that opens a page."""
    b = Browser(require_tool("chromium"))
    yield b
    b.close()
