"""Damaged and hostile inputs: every physical line accounted for, no name leaked, nothing
executed, and every failure one clear message. All files here are generated (no record of
the real data is in the repository); the real-data case damages a temporary copy."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis import cli, sources
from analysis.cleaning import REDACTED, CleaningOptions, city_names, clean_homicides
from analysis.config import Paths, source_root
from analysis.errors import ModelSpecError, SchemaError
from analysis.pipeline import PipelineError, run, stage_clean
from analysis.pipeline import checks as run_checks
from analysis.series import load_population, monthly_counts

from conftest import HEADER, csv_line, synthetic_mirror


@pytest.fixture()
def mirror_dir(tmp_path):
    return synthetic_mirror(tmp_path / "mirror")


def _lines(folder: Path) -> list[str]:
    return (folder / "homicide-data.csv").read_text().splitlines()


def _write(folder: Path, lines: list[str], newline: str = "\n") -> Path:
    path = folder / "homicide-data.csv"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8", "surrogateescape"))
    return path


def _accounted(report: dict) -> None:
    total = 1 + report["blank_lines"] + report["clean_rows"] + report["quarantined_rows"]
    assert total == report["physical_lines"]


def _damage_name(line: str, insert: str) -> str:
    """Put ``insert`` at the start of the victim's last name (the third field)."""
    fields = line.split(",")
    fields[2] = insert + fields[2]
    return ",".join(fields)


# --- every physical line accounted for ------------------------------------------------------


def test_two_stray_quotes_in_names_lose_no_row(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    n_rows = len(lines) - 1
    lines[20] = _damage_name(lines[20], '"')
    lines[50] = _damage_name(lines[50], '"')
    result = clean_homicides(_write(folder, lines))
    report = result.report
    _accounted(report)
    assert report["clean_rows"] == n_rows and report["quarantined_rows"] == 0
    assert report["notes"]["stray_quote_ignored"] == 2


@pytest.mark.parametrize("where", [1, -1], ids=["early", "late"])
def test_one_stray_quote_early_or_late_loses_nothing(mirror_dir, where):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lines[where] = _damage_name(lines[where], '"')
    report = clean_homicides(_write(folder, lines)).report
    _accounted(report)
    assert report["clean_rows"] == len(lines) - 1
    assert set(report["cities"]) == {"Alpha", "Beta"}


def test_a_stray_quote_in_a_used_field_quarantines_that_line_only(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lines[10] = lines[10].replace(",Alpha,", ',Alpha",', 1).replace(",Beta,", ',Beta",', 1)
    result = clean_homicides(_write(folder, lines))
    _accounted(result.report)
    q = result.quarantine
    assert list(q["line"]) == [11] and list(q["reason"]) == ["unbalanced_quote"]
    assert result.report["clean_rows"] == len(lines) - 2
    assert set(result.report["cities"]) == {"Alpha", "Beta"}


def test_a_record_spread_over_two_lines_is_quarantined_line_by_line(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    fields = lines[5].split(",")
    fields[2] = f'"{fields[2][:4]}\n{fields[2][4:]}"'
    lines[5] = ",".join(fields)  # one record, two physical lines (lines 6 and 7)
    result = clean_homicides(_write(folder, lines))
    _accounted(result.report)
    q = result.quarantine
    assert list(q["line"]) == [6, 7]
    assert set(q["reason"]) == {"unbalanced_quote"}
    assert result.report["clean_rows"] == len(lines) - 2


def test_a_field_over_the_csv_limit_is_one_quarantined_line(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lines[3] = _damage_name(lines[3], "X" * 200_000)
    result = clean_homicides(_write(folder, lines))
    _accounted(result.report)
    q = result.quarantine
    assert list(q["line"]) == [4] and list(q["reason"]) == ["line_too_long"]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"], ids=["NUL", "BEL", "ESC"])
def test_control_characters_quarantine_the_line_and_make_no_city(mirror_dir, char):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lines[7] = lines[7].replace("Alpha", f"Al{char}pha").replace("Beta", f"Be{char}ta")
    result = clean_homicides(_write(folder, lines))
    _accounted(result.report)
    assert list(result.quarantine["reason"]) == ["control_character"]
    assert set(result.report["cities"]) == {"Alpha", "Beta"}


def test_cr_only_line_endings_read_like_lf(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lf = clean_homicides(_write(folder, lines)).report
    cr = clean_homicides(_write(folder, lines, newline="\r")).report
    assert cr["line_endings"] == "CR" and cr["clean_rows"] == lf["clean_rows"]
    _accounted(cr)


def test_cr_only_file_is_fetched_without_a_csv_error(mirror_dir, tmp_path):
    folder, _ = mirror_dir
    _write(folder, _lines(folder), newline="\r")
    manifest = sources.fetch(paths=Paths(tmp_path / "project"), mirror=folder)
    assert "homicide-data.csv" in manifest["files"]


def test_letter_case_and_spaces_make_no_new_city(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    for i in range(1, 6):
        lines[i] = lines[i].replace(",Alpha,", ",ALPHA,").replace(",Beta,", ",  beta ,")
    result = clean_homicides(_write(folder, lines))
    assert set(result.report["cities"]) == {"Alpha", "Beta"}
    assert result.report["notes"]["city_name_normalised"] == 5
    assert set(city_names(folder / "homicide-data.csv")) == {"Alpha", "Beta"}


def test_blank_lines_are_counted(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lines[4:4] = ["", "   "]
    report = clean_homicides(_write(folder, lines)).report
    assert report["blank_lines"] == 2
    _accounted(report)


def test_whole_file_problems_are_one_clear_error(tmp_path):
    empty = tmp_path / "homicide-data.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="homicide-data.csv: the file is empty"):
        clean_homicides(empty)
    empty.write_text('uid,"reported_date\n')
    with pytest.raises(SchemaError, match="line 1: the header is not valid CSV"):
        clean_homicides(empty)
    empty.write_text(HEADER + "\n")
    report = clean_homicides(empty).report  # a header alone: no row, nothing lost
    assert report["physical_lines"] == 1 and report["clean_rows"] == 0


def test_stockton_2012_still_reads_71_with_two_stray_quotes(tmp_path, mirror):
    """The damage of the report: two stray quotes in 2012 Stockton rows (a temporary copy)."""
    raw = (mirror / "homicide-data.csv").read_text(encoding="utf-8").split("\n")
    stockton_2012 = [i for i, ln in enumerate(raw) if ",2012" in ln[:20] and "Stockton" in ln]
    for i in (stockton_2012[5], stockton_2012[40]):
        raw[i] = _damage_name(raw[i], '"')
    path = tmp_path / "homicide-data.csv"
    path.write_text("\n".join(raw), encoding="utf-8")
    result = clean_homicides(path)
    _accounted(result.report)
    inc = result.incidents
    assert ((inc["city"] == "Stockton") & (inc["date"].dt.year == 2012)).sum() == 71


# --- no name leaves data/raw ------------------------------------------------------------------


def _malformed_with_names(base: str) -> tuple[list[str], list[str]]:
    """Malformed lines with a planted name in every field position, in several damages."""
    fields = base.split(",")
    out, planted = [], []
    for k in range(len(fields)):
        for damage in ("extra_field", "quote", "shift_into_city"):
            name = f"PLANTED{damage.upper().replace('_', '')}{k:02d}"
            planted.append(name)
            f = list(fields)
            f[k] = name
            if damage == "extra_field":
                out.append(",".join([*f, "EXTRA"]))
            elif damage == "quote":
                f[k] = '"' + name
                f[7] = f[7] + '"' if k != 7 else f[7]  # a quote in a used field too
                out.append(",".join(f))
            else:  # the name lands in the city field of a well-formed line
                f[7] = name
                out.append(",".join(f))
    return out, planted


def test_no_planted_name_reaches_any_output(mirror_dir, tmp_path):
    folder, real_names = mirror_dir
    lines = _lines(folder)
    bad, planted = _malformed_with_names(lines[1])
    lines += bad
    _write(folder, lines)
    stage = stage_clean("Alpha", "2015-01-01", output_root=tmp_path / "out", raw_dir=folder)
    result = stage.cleaning
    assert len(result.quarantine) == len(bad)  # each damaged line, and only those
    _accounted(result.report)
    texts = [result.quarantine.to_csv(), json.dumps(result.report), repr(result.quarantine)]
    texts += [p.read_text(errors="replace") for p in stage.written if p.suffix in (".csv", ".json")]
    leaked = {n for n in planted + real_names for t in texts if n in t}
    assert not leaked, sorted(leaked)[:5]
    assert (result.quarantine["city"].isin(["Alpha", "Beta", REDACTED])).all()


# --- population -----------------------------------------------------------------------------------


def test_a_population_ten_times_its_neighbours_is_refused(mirror_dir, tmp_path):
    folder, _ = mirror_dir
    pop = folder / "population_1980_2017_census_ca_cities.csv"
    lines = pop.read_text().splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.startswith("Alpha,County 0,2012,"))
    value = int(lines[i].rsplit(",", 1)[1])
    lines[i] = f"Alpha,County 0,2012,{value * 10}"
    pop.write_text("\n".join(lines) + "\n")
    with pytest.raises(SchemaError, match=rf"line {i + 1}: Alpha 2012 .*allow_implausible"):
        stage_clean("Alpha", "2015-01-01", output_root=tmp_path / "out", raw_dir=folder)
    stage = stage_clean(
        "Alpha",
        "2015-01-01",
        output_root=tmp_path / "out",
        raw_dir=folder,
        allow_implausible_population=True,
    )
    assert stage.city_table["population"].max() == value * 10


# --- parameters ---------------------------------------------------------------------------------


def test_bad_parameters_are_one_clear_message(capsys):
    cases = [
        (["run", "-p", "harmonics=two"], "harmonics='two': give a whole number"),
        (["run", "-p", "output_root=/elsewhere"], "set by the runner"),
        (["run", "-p", "raw_dir="], "set by the runner"),
        (["run", "-p", "identical_rows=maybe"], "identical_rows='maybe'"),
        (["run", "--intervention-date", "soon"], "intervention_date='soon'"),
        (["run", "-p", "allow_implausible_population=3"], "give true or false"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 1, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)


def test_city_in_any_letter_case_and_unknown_cities(mirror_dir):
    folder, _ = mirror_dir
    path = folder / "homicide-data.csv"
    assert run_checks.city_in_data("  alPHA ", path) == "Alpha"
    with pytest.raises(ModelSpecError, match=r"city='Gamma' is not in .*\['Alpha', 'Beta'\]"):
        run_checks.city_in_data("Gamma", path)
    with pytest.raises(ModelSpecError, match=r"city='xxxxx.*\.\.\.' is not in"):
        run_checks.city_in_data("x" * 300, path)


def test_a_dead_kernel_is_a_pipeline_error_naming_the_notebook(mirror_dir, tmp_path, monkeypatch):
    from nbclient.exceptions import DeadKernelError

    folder, _ = mirror_dir

    def die(*_args, **_kwargs):
        raise DeadKernelError("Kernel died")

    monkeypatch.setattr("papermill.execute_notebook", die)
    with pytest.raises(PipelineError, match="10_clean.ipynb stopped .*DeadKernelError.*unchanged"):
        run("Alpha", "2015-01-01", paths=Paths(tmp_path / "p"), mirror=folder)


def test_a_kernel_that_cannot_start_is_a_pipeline_error_saying_what_to_do(mirror_dir, tmp_path):
    folder, _ = mirror_dir
    with pytest.raises(PipelineError, match="kernel 'no-such-kernel' did not start.*make setup"):
        run(
            "Alpha",
            "2015-01-01",
            paths=Paths(tmp_path / "p"),
            mirror=folder,
            kernel_name="no-such-kernel",
        )


def test_schema_errors_name_the_users_file_not_a_temporary_copy(tmp_path):
    mirror = tmp_path / "m"
    mirror.mkdir()
    (mirror / "homicide-data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(SchemaError, match=str(mirror / "homicide-data.csv")):
        sources.fetch(paths=Paths(tmp_path / "p"), mirror=mirror, keys=["homicides"])


def test_population_lines_are_reported(mirror_dir):
    folder, _ = mirror_dir
    pop = load_population(folder / "population_1980_2017_census_ca_cities.csv")
    assert pop.loc[0, "line"] == 2


# --- nothing executed or rendered as markup ------------------------------------------------------

HOSTILE = '<script>alert("x")</script> O\'Hara'


@pytest.mark.notebook
def test_markup_in_a_city_name_is_escaped_in_the_html_briefing(tmp_path):
    folder, names = synthetic_mirror(tmp_path / "mirror", cities=("Alpha", HOSTILE))
    out = run(
        HOSTILE,
        "2015-01-01",
        paths=Paths(tmp_path / "project"),
        mirror=folder,
        extra={"n_simulations": 5},
    )
    html = out["briefing_html"].read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    outputs = [p for p in out["files"] if p.is_file()]
    for path in outputs:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert not [n for n in names if n in text], path.name


#: Every way a shell or make could run a command, in one value: make's $(shell), a shell's
#: backticks and $(...), and a quote that closes the argument.
ATTACK = '$(shell touch {m}1)`touch {m}2`$$(touch {m}3)x"; touch {m}4; echo "'
MAKE_ATTACKS = [
    ("CITY", ATTACK),
    ("AS_OF", ATTACK),
    ("INTERVENTION", ATTACK),
    ("PARAMS", "-p family=" + ATTACK),
    ("PARAMS", "; touch {m}5"),
]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("variable", "value"), MAKE_ATTACKS)
@pytest.mark.slow
def test_make_passes_variables_without_a_shell(tmp_path, variable, value):
    folder, _ = synthetic_mirror(tmp_path / "mirror")
    marker = tmp_path / "ran"  # ran1 ... ran5
    env = {
        **os.environ,
        "ANALYSIS_PROJECT_ROOT": str(tmp_path / "project"),
        "ANALYSIS_DATA_MIRROR": str(folder),
    }
    out = subprocess.run(
        ["make", "--no-print-directory", "run", f"{variable}={value.format(m=marker)}"],
        cwd=source_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not list(tmp_path.glob("ran*")), "a command in a make variable was executed"
    assert out.returncode != 0
    assert "error:" in out.stderr and "Traceback" not in out.stderr, out.stderr[-2000:]


def test_monthly_counts_see_no_damaged_city(mirror_dir):
    folder, _ = mirror_dir
    lines = _lines(folder)
    lines[3] = lines[3].replace("Alpha", "ALPHA").replace("Beta", "BETA")
    lines.append(csv_line(["Syn-999999", "20120101", "A", "B", "x", "1", "x", "Gam\x00ma", "CA"]))
    result = clean_homicides(_write(folder, lines), CleaningOptions())
    series = monthly_counts(result.incidents, as_of="2015-01-01")
    assert set(series.frame["city"]) == {"Alpha", "Beta"}
