"""Every artifact path of a run comes from one place."""

from pathlib import Path

from analysis.layout import RunLayout, slug


def test_paths_are_built_from_the_run():
    layout = RunLayout.under("/tmp/x", "San Bernardino", "2013-02-01")
    assert layout.figure("main") == Path("/tmp/x/figures/san-bernardino_2013-02-01_main.png")
    assert layout.results.name == "san-bernardino_2013-02-01_results.json"
    assert layout.briefing_pdf.parent == Path("/tmp/x/reports")
    assert layout.executed_notebook("10_clean.ipynb").name == (
        "san-bernardino_2013-02-01_10_clean.ipynb"
    )
    assert layout.outcome_state.parts[-3:-1] == ("build", "state")
    assert slug("St. Louis") == "st--louis"


def test_no_other_module_builds_run_file_names():
    """File names of a run are decided in layout.py only: no other module formats one."""
    package = Path(__file__).parents[1] / "src" / "analysis"
    for path in package.rglob("*.py"):
        if path.name == "layout.py":
            continue
        text = path.read_text()
        assert "_{as_of}_" not in text and "stem(" not in text.replace("figure_stem(", ""), path
