"""target: the fusion as data.  The bundled definition, a synthetic second target read from
tests/resources, clear errors for broken definitions, and no stage module naming the genes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fusioncheck.errors import InputError
from fusioncheck.genes import Window
from fusioncheck.scan import scan
from fusioncheck.target import JunctionType, Partner, load_target

SRC = Path(__file__).resolve().parents[1] / "src" / "fusioncheck"
SYNTHETIC = Path(__file__).resolve().parent / "resources" / "targets" / "SYNA_SYNB" / "target.yaml"


def test_the_bundled_target():
    t = load_target()
    assert t.name == "ASPSCR1::TFE3"
    assert t.five_prime == Partner("ASPSCR1", (7,), (7,))
    assert t.three_prime == Partner("TFE3", (4, 5, 6), (3, 4, 5), (2, 3), (7, 8, 9))
    assert t.junction_type(7, 6) == JunctionType(7, 6, "type 1", True)
    assert t.junction_type(7, 5) == JunctionType(7, 5, "type 2", True)
    assert t.junction_type(7, 4) == JunctionType(7, 4, None, False)
    assert t.junction_type(7, 9) is None
    assert load_target("ASPSCR1_TFE3") == t


def test_kind_of_a_partner_pair():
    t = load_target()
    assert t.kind(("ASPSCR1", "TFE3")) == "target"
    assert t.kind(("TFE3", "ASPSCR1")) == "reciprocal"
    assert t.kind(("PRCC", "TFE3")) == "other_partner"
    assert t.kind(("chr1:?", "TFE3")) == "other_partner"


def test_windows_are_both_genes_with_the_flank():
    t = load_target()
    assert t.windows(t.models("GRCh38"), 2000) == [
        Window("ASPSCR1", "chr17", 81_975_550, 82_019_406),
        Window("TFE3", "chrX", 49_026_731, 49_045_486),
    ]


def test_a_synthetic_target_is_read_from_its_own_folder():
    t = load_target(str(SYNTHETIC))
    assert t.name == "SYNA::SYNB"
    assert t.gene_models == SYNTHETIC.parent / "gene_models.tsv"
    assert t.five_prime == Partner("SYNA", (5,), (5,))
    assert t.three_prime == Partner("SYNB", (3, 4), (2, 3), (1, 2), (5, 6, 7))
    assert t.junction_type(5, 4) == JunctionType(5, 4, "type A", True)
    models = t.models("GRCh38")
    assert sorted(models.transcripts) == ["SYNA", "SYNB"]
    assert (models["SYNB"].strand, models["SYNB"].acceptor(4)) == ("-", 40_020_550)
    assert t.windows(models, 2000) == [
        Window("SYNA", "chr1", 49_998_001, 50_027_350),
        Window("SYNB", "chr17", 40_005_801, 40_032_000),
    ]
    assert t.kind(("SYNA", "SYNB")) == "target" and t.kind(("ASPSCR1", "TFE3")) == "other_partner"


def test_a_build_without_models_names_the_file_and_the_genes():
    with pytest.raises(InputError, match=r"gene_models\.tsv: no GRCh37 model for SYNA, SYNB"):
        load_target(str(SYNTHETIC)).models("GRCh37")


def test_a_broken_definition_names_its_file(tmp_path):
    bad = tmp_path / "target.yaml"
    bad.write_text("name: X::Y\ngene_models: g.tsv\nthree_prime: {gene: Y}\n")
    with pytest.raises(InputError, match=r"target\.yaml: not a readable target definition"):
        load_target(str(bad))
    with pytest.raises(InputError, match=r"targets/NO_SUCH/target\.yaml: not a readable target"):
        load_target("NO_SUCH")


def _named_outside_docs(path: Path) -> list[str]:
    """Identifiers and string literals (docstrings and comments aside) naming the genes."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = None if id(node) in docstrings else node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        if text and ("ASPSCR1" in text or "TFE3" in text):
            found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def test_no_stage_module_names_the_target_genes():
    # The report, the cohort page and the CLI's help speak to people about the default target;
    # the simulator makes its controls.  Below them, genes are known only through a Target.
    presentation = {"cli.py", "cohort.py"}
    modules = [p for p in sorted(SRC.glob("*.py")) if p.name not in presentation]
    assert len(modules) > 20
    found = [hit for p in modules for hit in _named_outside_docs(p)]
    assert found == ["target.py:22: 'ASPSCR1_TFE3'"]  # the name of the default definition


# --- the second target end to end: simulator -> BAM -> scan ---------------------------------


def _scan_synthetic(result, target=str(SYNTHETIC)):  # type: ignore[no-untyped-def]
    return scan(result.bam, "syn", reference=result.genome, target=target)


def test_the_synthetic_fusion_is_simulated_and_detected_in_rna(simulate_fixture):
    made = simulate_fixture(target=str(SYNTHETIC))
    (truth,) = made.load_truth()["fusions"]
    assert (truth["breakpoint_5p"], truth["breakpoint_3p"]) == ("chr1:50012750", "chr17:40020550")
    assert (truth["exon_5p"], truth["exon_3p"], truth["reading_frame"]) == (5, 4, "in-frame")
    result = _scan_synthetic(made)
    assert (result["target"], result["call"], result["confidence"]) == (
        "SYNA::SYNB",
        "DETECTED",
        "high",
    )
    (f,) = result["fusions"]
    assert (f["kind"], f["five_prime_gene"], f["three_prime_gene"]) == ("target", "SYNA", "SYNB")
    assert (f["breakpoint_5p"], f["breakpoint_3p"]) == ("chr1:50012750", "chr17:40020550")
    assert (f["exon_5p"], f["exon_3p"], f["type_label"], f["reported_type"]) == (
        5,
        4,
        "type A",
        True,
    )
    assert (f["transcript_5p"], f["transcript_3p"]) == ("SYNA.1", "SYNB.1")
    # Every exon is 150 bases and the whole transcript codes: 250 + 249 amino acids.
    assert f["fusion_protein"].startswith("M") and len(f["fusion_protein"]) == 499
    assert result["tfe3_imbalance"]["status"] == "balanced"  # the key name is the contract


def test_the_synthetic_fusion_is_detected_in_dna_at_the_simulated_break(simulate_fixture):
    made = simulate_fixture(target=str(SYNTHETIC), assay="dna")
    (truth,) = made.load_truth()["fusions"]
    assert (truth["intron_5p"], truth["intron_3p"]) == (5, 3)  # the target's first type
    result = _scan_synthetic(made)
    assert result["call"] == "DETECTED"
    (f,) = result["fusions"]
    assert (f["breakpoint_5p"], f["breakpoint_3p"]) == ("chr1:50013691", "chr17:40022500")
    assert (f["breakpoint_5p"], f["breakpoint_3p"]) == (
        truth["breakpoint_5p"],
        truth["breakpoint_3p"],
    )
    assert (f["intron_5p"], f["intron_3p"], f["exon_5p"], f["exon_3p"]) == (5, 3, 5, 4)


def test_the_synthetic_negative_is_not_detected(simulate_fixture):
    result = _scan_synthetic(simulate_fixture(target=str(SYNTHETIC), fusion_fragments=0, seed=2))
    assert (result["call"], result["call_reason"]) == (
        "NOT_DETECTED",
        "no SYNA::SYNB junction read, with coverage enough to have seen one",
    )


def test_the_synthetic_targets_artefacts_are_filtered(simulate_fixture):
    made = simulate_fixture(
        target=str(SYNTHETIC), design="rna_capture", reciprocal=True, paralog_fragments=4,
        read_through=3, artefact_pairs=3,
    )  # fmt: skip
    truth = made.load_truth()
    assert truth["baits"] == "SYNB" and truth["artefacts"]["paralog"]["copy_of"] == "SYNB exon 4"
    result = _scan_synthetic(made)
    assert (result["call"], result["reciprocal"]["status"]) == ("DETECTED", "present")
    assert [(f["kind"], f["breakpoint_5p"], f["breakpoint_3p"]) for f in result["fusions"]] == [
        ("target", "chr1:50012750", "chr17:40020550"),
        ("reciprocal", "chr17:40023551", "chr1:50015751"),
    ]
    assert (result["filters"]["low_mapq"], result["filters"]["read_through"]) == (4, 3)


def test_the_bundled_target_does_not_see_the_synthetic_fusion(simulate_fixture):
    result = _scan_synthetic(simulate_fixture(target=str(SYNTHETIC)), target="ASPSCR1_TFE3")
    assert (result["call"], result["call_reason"]) == (
        "INDETERMINATE",
        "no reads in the ASPSCR1 and TFE3 windows",
    )
