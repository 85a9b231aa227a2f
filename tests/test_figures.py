"""Figures and the briefing for the real data at the three as-of dates."""

import re

import pandas as pd
import pytest
from PIL import Image

from analysis import figures
from analysis.briefing import build_briefing, count_pdf_pages, write_briefing_pdf
from analysis.figures.style import figure_title
from analysis.interventions import Intervention
from analysis.layout import RunLayout
from analysis.models import fit_its
from analysis.power import power_analysis
from analysis.series import monthly_counts
from analysis.verdict import decide, title

CHP = Intervention(start="2012-11-01", name="Test partnership", short_name="test partnership")

#: Without a declared window the planning horizon is 60 months, and a 20% drop would be
#: detected only about 30% of the time even then: "this design cannot tell".
AS_OF = {"2013-01-09": "cannot_tell", "2013-02-01": "cannot_tell", "2017-06-30": "significant_drop"}


@pytest.fixture(scope="module", params=sorted(AS_OF))
def run(request, real_cleaning, real_population, tmp_path_factory):
    as_of = request.param
    series = monthly_counts(real_cleaning.incidents, as_of=as_of, population=real_population)
    result = fit_its(series.city("Stockton"))
    power = power_analysis(result, n_simulations=30, mde=False)
    verdict = decide(result, power, place="Stockton", intervention=CHP)
    info = figures.RunInfo("Stockton", as_of, "2026-01-01", real_cleaning.report["sha256"], "abc")
    out = tmp_path_factory.mktemp(f"fig-{as_of}")
    made = {
        "main": figures.main_figure(result, verdict, info, CHP),
        "effect": figures.effect_figure(result, verdict, info),
        "power": figures.power_figure(power, verdict, info, CHP),
        "diagnostics": figures.diagnostics_figure(result, info),
        "descriptive": figures.descriptive_figure(
            series.frame[series.frame["city"] == "Stockton"], "Stockton", CHP, info
        ),
    }
    titles = {name: figure_title(fig) for name, (fig, _) in made.items()}
    covers = {name: labels_on_data(fig) for name, (fig, _) in made.items()}
    files = {}
    for name, (fig, data) in made.items():
        files[name] = figures.export(
            fig, data, out, RunLayout.under(out, "Stockton", as_of).stem(name)
        )
    page = build_briefing(result, verdict, info, CHP)
    pdf = write_briefing_pdf(page, out / "briefing.pdf", "x")
    return as_of, result, verdict, titles, files, pdf, covers


@pytest.mark.realdata
def test_verdict_at_each_date(run):
    as_of, result, verdict, *_ = run
    assert verdict.label == AS_OF[as_of]
    if verdict.label.startswith("significant"):
        # the sentences state the estimate with its interval
        assert "95% confidence interval" in verdict.headline
        assert f"{abs((result.rate_ratio['estimate'] - 1) * 100):.0f}% lower" in verdict.headline


@pytest.mark.realdata
def test_every_figure_in_every_format_with_its_data(run):
    as_of, _, verdict, _, files, *_ = run
    for name, written in files.items():
        suffixes = sorted(p.suffix for p in written)
        assert suffixes == [".csv", ".pdf", ".png", ".svg"], name
        for path in written:
            assert path.stat().st_size > 1000 or path.suffix == ".csv"
            assert path.name.startswith(f"stockton_{as_of}_{name}")
        png = next(p for p in written if p.suffix == ".png")
        with Image.open(png) as image:
            assert round(image.info["dpi"][0]) >= 200
        data = pd.read_csv(next(p for p in written if p.suffix == ".csv"))
        assert len(data) > 0
        if name in ("main", "effect", "power"):
            assert set(data["verdict"]) == {verdict.label}


@pytest.mark.realdata
def test_titles_carry_the_verdict(run):
    _, _, verdict, titles, files, *_ = run
    plain = title(verdict.label, CHP, qualified=bool(verdict.qualifier))
    assert titles["main"].replace("\n", " ") == f"Stockton: {plain}"
    svg = next(p for p in files["main"] if p.suffix == ".svg").read_text()
    first_words = plain.split()[0]
    assert first_words in svg  # text stays text in the SVG
    assert verdict.title in figures_subtitles(files)


def figures_subtitles(files):
    return " ".join(
        re.sub(r"\s+", " ", p.read_text()) for p in files["effect"] if p.suffix == ".svg"
    )


@pytest.mark.realdata
def test_briefing_pdf_is_one_page(run):
    pdf = run[5]
    assert count_pdf_pages(pdf) == 1


@pytest.mark.realdata
def test_labels_and_legends_never_cover_data(run):
    """Legends and the intervention's label lie outside every panel's plotting area."""
    covers = run[6]
    assert covers == {name: [] for name in covers}


def labels_on_data(fig) -> list[str]:
    renderer = fig.canvas.get_renderer()
    panels = [ax.get_window_extent(renderer) for ax in fig.axes if ax.get_visible()]
    found = []
    width = fig.get_figwidth() * fig.dpi
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        box = legend.get_window_extent(renderer)
        found += [f"legend on panel {i}" for i, p in enumerate(panels) if box.overlaps(p)]
        if box.x0 < 0 or box.x1 > width:
            found.append("legend beyond the figure's edge")
    for i, ax in enumerate(a for a in fig.axes if a.get_visible()):
        for text in ax.texts:  # annotations such as the intervention's label
            box = text.get_window_extent(renderer)
            if box.overlaps(panels[i]) and box.y0 < panels[i].y1 - 1:
                found.append(f"label {text.get_text()!r} on panel {i}")
    return found


def test_page_counter_counts_pages(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = tmp_path / "two.pdf"
    with PdfPages(path) as pdf:
        for _ in range(2):
            fig = plt.figure()
            pdf.savefig(fig)
            plt.close(fig)
    assert count_pdf_pages(path) == 2


def test_stem_is_built_from_parameters():
    stem = RunLayout.under("/tmp", "San Bernardino", "2013-02-01").stem("main")
    assert stem == "san-bernardino_2013-02-01_main"


def test_figures_leave_the_global_style_alone():
    """The project style is applied inside each figure call, never to matplotlib's globals."""
    import matplotlib

    before = dict(matplotlib.rcParams)
    series = pd.DataFrame(
        {"month": pd.date_range("2012-01-01", periods=12, freq="MS"), "status": "complete"}
    )
    series["victims"] = 3
    series["victims_partial"] = pd.NA
    fig, _ = figures.descriptive_figure(series, "Testville", Intervention(start="2012-06-01"))
    from analysis.figures.style import _style_rc

    size = _style_rc()["axes.labelsize"]
    assert size != before["axes.labelsize"]
    assert fig.axes[0].yaxis.label.get_fontsize() == size  # the project style was applied
    assert dict(matplotlib.rcParams) == before  # and only inside the call
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_the_label_check_finds_a_legend_on_the_data():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(loc="center")
    ax.annotate("on the data", xy=(0.5, 0.5))
    found = labels_on_data(fig)
    plt.close(fig)
    assert "legend on panel 0" in found and any("on the data" in f for f in found)
