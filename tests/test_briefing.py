"""The one-page briefing fits its page for every city and date the data allow: checked from
the PDF's own text positions (every line inside the margins, no two lines overlapping)."""

from itertools import combinations

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer, LTTextLine

from analysis import AnalysisData, analyse
from analysis.briefing import PAGE, build_briefing, build_notes, count_pdf_pages, write_briefing_pdf
from analysis.errors import InsufficientDataError, SeriesError
from analysis.figures import RunInfo
from analysis.pipeline import make_request, project_registry

CITIES = ("Stockton", "Oakland", "Fresno", "Sacramento", "San Bernardino")
DATES = ("2013-01-09", "2014-01-01", "2020-01-01")
FAST = {"n_simulations": 10, "max_post_months": 24}
#: The page's printable area, in points (a little inside the paper's edge).
INSIDE = (0.3 * 72, 0.2 * 72, (PAGE[0] - 0.3) * 72, (PAGE[1] - 0.2) * 72)


def text_lines(pdf):
    """(text, x0, y0, x1, y1) of every text line on every page of ``pdf``."""
    pages = []
    for page in extract_pages(str(pdf)):
        lines = []
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTTextLine):
                if item.get_text().strip():
                    lines.append((item.get_text().strip(), *item.bbox))
            elif isinstance(item, LTTextContainer):
                stack.extend(item)
        pages.append(lines)
    return pages


def _overlap(a, b, tolerance=0.8) -> bool:
    """Two boxes share more than ``tolerance`` points in both directions."""
    return (
        min(a[3], b[3]) - max(a[1], b[1]) > tolerance
        and min(a[4], b[4]) - max(a[2], b[2]) > tolerance
    )


def check_page(pdf) -> list[str]:
    problems = []
    pages = text_lines(pdf)
    if len(pages) != 1:
        problems.append(f"{len(pages)} pages")
    for lines in pages:
        for text, x0, y0, x1, y1 in lines:
            if x0 < INSIDE[0] or y0 < INSIDE[1] or x1 > INSIDE[2] or y1 > INSIDE[3]:
                problems.append(
                    f"outside the margins: {text[:40]!r} {x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}"
                )
        for a, b in combinations(lines, 2):
            if _overlap(a, b):
                problems.append(f"overlap: {a[0][:30]!r} and {b[0][:30]!r}")
    return problems


@pytest.fixture(scope="module")
def data(real_cleaning, real_population):
    return AnalysisData(incidents=real_cleaning.incidents, population=real_population)


def _briefing(data, city, as_of, folder, *, extra_caveats=()):
    request = make_request(city, as_of, registry=project_registry(), **FAST)
    try:
        outcome = analyse(request, data)
    except (InsufficientDataError, SeriesError) as exc:
        pytest.skip(f"the data do not allow {city} as of {as_of}: {exc}")
    info = RunInfo(
        city,
        request.as_of,
        "2026-12-02",
        "0" * 64,
        "abcdef12",
        data_through=f"{outcome.result.months[-1]:%Y-%m}",
    )
    caveats = [*outcome.verdict.data_caveats, *extra_caveats]
    page = build_briefing(
        outcome.result,
        outcome.verdict,
        info,
        outcome.intervention,
        caveats=caveats,
        notes_name="notes.pdf",
    )
    pdf = write_briefing_pdf(page, folder / f"{city}_{as_of}.pdf", outcome.verdict.title)
    notes = None
    if page.overflow:
        notes = write_briefing_pdf(
            build_notes(info, outcome.verdict.title, page.overflow),
            folder / f"{city}_{as_of}_notes.pdf",
            "notes",
        )
    return pdf, notes, page, outcome


@pytest.mark.realdata
@pytest.mark.parametrize("as_of", DATES)
@pytest.mark.parametrize("city", CITIES)
@pytest.mark.slow
def test_briefing_fits_one_page_without_overlaps(data, city, as_of, tmp_path):
    pdf, notes, page, outcome = _briefing(data, city, as_of, tmp_path)
    assert count_pdf_pages(pdf) == 1
    assert check_page(pdf) == []
    text = " ".join(t for t, *_ in text_lines(pdf)[0])
    assert outcome.verdict.title.split()[0] in text
    if notes is not None:
        assert check_page(notes) == []
        assert "notes.pdf" in text  # the page says where the rest went


@pytest.mark.realdata
@pytest.mark.slow
def test_many_long_caveats_go_to_the_technical_notes(data, tmp_path):
    long = ["A long caveat that a careful analyst might add. " * 6] * 6
    pdf, notes, page, _ = _briefing(data, "Stockton", "2020-01-01", tmp_path, extra_caveats=long)
    assert check_page(pdf) == []
    assert notes is not None and len(page.overflow) >= 5
    assert check_page(notes) == []


def test_the_page_check_finds_overprinted_text(tmp_path):
    """The check can fail: two lines drawn on top of each other, and one off the page."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=PAGE)
    fig.text(0.1, 0.5, "First line of text here")
    fig.text(0.12, 0.501, "Second line on top of it")
    fig.text(0.95, 0.2, "Falls off the right edge of the page")
    path = write_briefing_pdf(fig, tmp_path / "bad.pdf", "bad")
    problems = check_page(path)
    assert any(p.startswith("overlap") for p in problems)
    assert any(p.startswith("outside") for p in problems)


def test_dollars_from_data_are_drawn_as_text_not_mathtext(tmp_path):
    """A '$' in a city name would start matplotlib's mathtext (and fail on a lone one)."""
    import matplotlib.pyplot as plt

    from analysis.figures.style import frame

    fig = plt.figure(figsize=(6, 4))
    info = RunInfo("Cost $5 $city", "2014-01-01", "2026-12-02", "0" * 64)
    frame(fig, f"{info.place}: a lone $ sign", "sub $x$", info)
    path = write_briefing_pdf(fig, tmp_path / "dollars.pdf", "t")
    text = " ".join(t for t, *_ in text_lines(path)[0])
    assert "Cost $5 $city: a lone $ sign" in text and "sub $x$" in text


@pytest.mark.realdata
def test_the_notes_on_comparison_cities_read_as_sentences(data):
    """Reasons from the registry are clauses inside the notes' sentences: no full stop
    before a semicolon, no capital after a colon."""
    from analysis.briefing import robustness_notes

    request = make_request("Stockton", "2014-01-01", registry=project_registry(), **FAST)
    notes = robustness_notes(analyse(request, data).robustness, "Stockton")
    joined = " ".join(notes)
    assert "Not used as comparisons: Oakland: received" in joined
    assert ".;" not in joined and ".)" not in joined and ". ;" not in joined
