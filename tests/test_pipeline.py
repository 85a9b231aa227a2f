"""End to end through papermill: parameters injected, files written, names never leaked,
a failed rerun leaves the last good outputs in place."""

import csv
import json

import pytest

from analysis import cli
from analysis.briefing import count_pdf_pages
from analysis.config import Paths
from analysis.errors import ModelSpecError
from analysis.pipeline import PipelineError, make_request, project_registry, run
from analysis.provenance import sha256_file
from analysis.results import validate

from browser import open_in_browser

pytestmark = [pytest.mark.realdata, pytest.mark.notebook]

AS_OF = "2013-01-09"
FAST = {"n_simulations": 30}


@pytest.fixture(scope="module")
def project(tmp_path_factory, mirror):
    paths = Paths(tmp_path_factory.mktemp("project"))
    out = run("Stockton", AS_OF, paths=paths, mirror=mirror, extra=FAST)
    return paths, out


def test_injected_parameters_are_read_back(project):
    paths, _ = project
    executed = sorted((paths.reports / "notebooks").glob("*.ipynb"))
    assert [p.name for p in executed] == [
        f"stockton_{AS_OF}_10_clean.ipynb",
        f"stockton_{AS_OF}_20_model.ipynb",
        f"stockton_{AS_OF}_30_briefing.ipynb",
    ]
    for path in executed:
        nb = json.loads(path.read_text())
        injected = nb["metadata"]["papermill"]["parameters"]
        assert injected["city"] == "Stockton" and injected["as_of"] == AS_OF
        assert injected["output_root"] == "."  # the notebooks run inside the run folder
        tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
        assert ["injected-parameters"] in tags
        assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1
    model = json.loads(executed[1].read_text())["metadata"]["papermill"]["parameters"]
    assert model["n_simulations"] == 30


def test_files_written_and_traceable(project):
    paths, out = project
    assert out["verdict"] == "cannot_tell"
    assert not (paths.root / "build" / "state").exists()  # the private state is not promoted
    assert out["briefing"].exists() and count_pdf_pages(out["briefing"]) == 1
    html = out["briefing_html"].read_text()
    assert "stage_briefing(" not in html and "This analysis cannot tell" in html
    assert 'alt="Stockton: This analysis cannot tell' in html  # figures carry alt text
    results = json.loads(out["results"].read_text())
    validate(results)
    assert results["verdict"]["label"] == "cannot_tell"
    assert results["model"]["sample"]["n_post"] == 2
    for name in ("main", "effect", "power", "diagnostics", "fit", "descriptive"):
        for ext in ("png", "svg", "pdf", "csv"):
            assert (paths.figures / f"stockton_{AS_OF}_{name}.{ext}").exists()
    manifest = json.loads(out["provenance"].read_text())
    assert manifest["parameters"]["as_of"] == AS_OF
    assert {i["sha256"] for i in manifest["inputs"]} == {
        sha256_file(paths.raw / "homicide-data.csv"),
        sha256_file(paths.raw / "population_1980_2017_census_ca_cities.csv"),
    }
    for record in manifest["outputs"]:
        assert sha256_file(paths.root / record["path"]) == record["sha256"], record["path"]
    assert not list((paths.root / "build").glob("staging-*"))  # promoted and cleaned up
    summary = json.loads(out["manifest"].read_text())["summary"]
    assert summary["data_through"] == "2012-12" == summary["window_through"]


def _victim_names(raw_file):
    with open(raw_file, encoding="utf-8", errors="replace", newline="") as fh:
        rows = list(csv.DictReader(fh))
    full, parts = set(), set()
    for r in rows:
        last, first = r["victim_last"].strip(), r["victim_first"].strip()
        for name in (last, first):
            if name and name.upper() != "UNKNOWN" and len(name) >= 4:
                parts.add(name)
        if last and first and "UNKNOWN" not in (last.upper(), first.upper()):
            full |= {f"{first} {last}", f"{last}, {first}", f"{last},{first}"}
    return full, parts


def test_no_victim_name_leaves_data_raw(project, capfd):
    paths, _ = project
    full, parts = _victim_names(paths.raw / "homicide-data.csv")
    assert len(full) > 1000  # the check has something to find
    outputs = [
        p
        for folder in (paths.processed, paths.figures, paths.reports)
        for p in folder.rglob("*")
        if p.is_file()
    ]
    assert len(outputs) > 30
    for path in outputs:
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaked = [n for n in full if n in text]
        assert not leaked, f"{path.name} holds victim names"
        if path.suffix in (".csv", ".json"):
            cells = set(text.replace('"', ",").replace("\n", ",").split(","))
            assert not (cells & parts), f"{path.name} holds a name as a value"
    captured = capfd.readouterr()
    logs = captured.out + captured.err
    assert not [n for n in full if n in logs]


def test_failed_rerun_keeps_the_last_good_outputs(project, mirror):
    paths, out = project
    before = {p: sha256_file(p) for p in (out["results"], out["briefing"])}
    # a slope change needs two post months; on 5 December 2012 there is one: the model
    # notebook fails after the cleaning notebook succeeded
    with pytest.raises(PipelineError, match="20_model.ipynb failed.*last good outputs"):
        run(
            "Stockton",
            "2012-12-05",
            paths=paths,
            mirror=mirror,
            extra={**FAST, "impact": "slope"},
        )
    assert {p: sha256_file(p) for p in before} == before
    # the latest pointer still shows the good run; the failed run kept its folder, with the
    # executed notebook that holds the error and a manifest that says why
    assert out["latest"].resolve() == out["run_folder"].resolve()
    failed = [
        m
        for m in (paths.root / "runs" / "stockton").glob("*/*/*/manifest.json")
        if json.loads(m.read_text())["status"] == "failed"
    ]
    assert len(failed) == 1
    doc = json.loads(failed[0].read_text())
    assert "20_model.ipynb failed" in doc["exit_reason"] and doc["ended_at"]
    assert (failed[0].parent / "reports/notebooks" / "stockton_2012-12-05_20_model.ipynb").exists()


def test_cli_exits_non_zero_with_a_clear_message(capsys):
    assert cli.main(["run", "--as-of", "not-a-date"]) == 1
    assert "as_of='not-a-date'" in capsys.readouterr().err
    assert cli.main(["run", "-p", "family=binomial"]) == 1
    assert "family='binomial'" in capsys.readouterr().err
    assert cli.main(["run", "-p", "colour=blue"]) == 1
    assert "unknown parameter(s) ['colour']" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("min_post_months", "twelve"),
        ("effect_that_matters", 20),
        ("target_power", 1.5),
        ("n_simulations", 0),
    ],
)
def test_briefing_parameters_get_clear_errors(name, value):
    with pytest.raises(ModelSpecError, match=f"{name}={value!r}: give"):
        make_request("Stockton", "2013-01-09", registry=project_registry(), **{name: value})


def test_unknown_measure_is_named():
    with pytest.raises(ModelSpecError, match="measure='homicides'"):
        make_request("Stockton", AS_OF, registry=project_registry(), measure="homicides")


@pytest.mark.parametrize("width", [1280, 480])
def test_html_briefing_renders_in_a_browser(project, tmp_path, width):
    """A standalone page: a proper title, every image loads and has alt text, nothing wider
    than the window (a desktop and a phone width)."""
    _, out = project
    seen = open_in_browser(out["briefing_html"], tmp_path, width=width)
    assert seen["title"] == (
        "Stockton: This analysis cannot tell whether homicides changed since the CHP "
        "partnership began"
    )
    assert seen["images"] >= 3 and seen["broken"] == 0 and seen["without_alt"] == 0
    assert not seen["overflow"], seen["too_wide"]


def test_html_briefing_has_no_developer_text_and_readable_labels(project):
    _, out = project
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(out["briefing_html"].read_text(), features="html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    text = " ".join(soup.get_text(" ").split())
    assert "nothing is refitted" not in text and "developer" not in text  # the dev note
    assert "30 · The verdict" not in text and "output_root" not in text
    assert "n_post_months" not in text and "rate_ratio_lower" not in text
    assert "Months of data since" in text and "Chance of a difference this large" in text


def test_the_notebooks_give_the_same_bytes_as_in_a_fresh_kernel_each(project, tmp_path):
    """The runner runs the notebooks in one warm kernel, reset before each
    (:mod:`analysis.pipeline.kernel`): each executed notebook equals the one a kernel of its
    own gives. (It executes the notebooks again inside the run folder; the run's promoted
    copies are not touched.)"""
    import ast

    import papermill as pm

    from analysis.config import source_root
    from analysis.pipeline import ensure_kernel
    from analysis.pipeline.execute import normalise_notebook

    _, out = project
    folder = out["run_folder"]
    for name in ("10_clean", "20_model", "30_briefing"):
        executed = folder / "reports" / "notebooks" / f"stockton_{AS_OF}_{name}.ipynb"
        nb = json.loads(executed.read_text())
        injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"]["tags"])
        params = {  # in the order the runner gave them
            node.targets[0].id: ast.literal_eval(node.value)
            for node in ast.parse("".join(injected["source"])).body
        }
        fresh = tmp_path / f"{name}.ipynb"
        pm.execute_notebook(
            str(source_root() / "notebooks" / f"{name}.ipynb"),
            str(fresh),
            parameters=params,
            kernel_name=ensure_kernel(),
            cwd=str(folder),
            progress_bar=False,
            coalesce_streams=True,  # as the runner does
        )
        normalise_notebook(fresh)
        assert fresh.read_text() == executed.read_text(), name


def test_a_batch_row_equals_the_results_json_of_the_papermill_run(project):
    """The batch's row for the run's city, date and parameters carries the same verdict and
    numbers as the results.json the notebooks wrote, exactly."""
    from analysis import AnalysisData
    from analysis.batch import grid, run_batch
    from analysis.pipeline import clean_inputs

    paths, out = project
    doc = json.loads(out["results"].read_text())
    cleaning, population, _ = clean_inputs(paths.raw)
    data = AnalysisData(
        incidents=cleaning.incidents,
        population=population,
        input_sha256=cleaning.report["sha256"],
    )
    items = grid(["Stockton"], [AS_OF], [FAST], registry=project_registry())
    row = run_batch(items, data, serial=True, progress=False).iloc[0]
    numbers = doc["verdict"]["numbers"]
    assert row["status"] == "ok" and row["verdict"] == doc["verdict"]["label"]
    for name in ("rate_ratio", "rate_ratio_lower", "rate_ratio_upper", "p_value", "power_now"):
        assert row[name] == numbers[name], name  # exactly, not approximately
