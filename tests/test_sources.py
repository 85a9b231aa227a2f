import json

import pytest

from analysis import sources
from analysis.config import Paths
from analysis.errors import DataUnavailableError, RawFileConflictError, SchemaError
from analysis.provenance import sha256_file

from conftest import HEADER

POP_HEADER = '"city","county","year","TOTAL_POP"'


@pytest.fixture
def fake_mirror(tmp_path):
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "homicide-data.csv").write_text(HEADER + "\n")
    (folder / "population_1980_2017_census_ca_cities.csv").write_text(POP_HEADER + "\n")
    return folder


@pytest.fixture
def project(tmp_path):
    return Paths(tmp_path / "project")


def test_fetch_from_mirror_copies_and_records_provenance(fake_mirror, project):
    manifest = sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    for source in sources.SOURCES.values():
        dest = project.raw / source.filename
        assert dest.read_bytes() == (fake_mirror / source.filename).read_bytes()
        entry = manifest["files"][source.filename]
        assert entry["sha256"] == sha256_file(dest)
        assert entry["bytes"] == dest.stat().st_size
        assert entry["origin"].startswith("mirror:")
        assert entry["url"] == source.url and entry["fetched_at"]
    on_disk = json.loads((project.raw / "MANIFEST.json").read_text())
    assert on_disk == manifest
    assert list(project.incoming.iterdir()) == []  # nothing left in flight


def test_mirror_from_environment_variable(fake_mirror, project, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", str(fake_mirror))
    sources.fetch(paths=project, allow_network=False)
    assert (project.raw / "homicide-data.csv").exists()


def test_refetch_of_same_content_is_a_no_op(fake_mirror, project):
    sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    before = (project.raw / "homicide-data.csv").stat().st_mtime_ns
    sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    assert (project.raw / "homicide-data.csv").stat().st_mtime_ns == before


def test_changed_raw_file_is_never_overwritten_silently(fake_mirror, project):
    sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    dest = project.raw / "homicide-data.csv"
    old = dest.read_bytes()
    (fake_mirror / "homicide-data.csv").write_text(HEADER + "\n" + "x" * 12 + "\n")
    with pytest.raises(RawFileConflictError, match="never overwritten silently"):
        sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    assert dest.read_bytes() == old
    manifest = sources.fetch(paths=project, mirror=fake_mirror, allow_network=False, replace=True)
    assert dest.read_bytes() != old
    entry = manifest["files"]["homicide-data.csv"]
    assert entry["replaced_sha256"]
    # the previous version is kept beside it, unmodified: a data vintage
    vintage = project.raw / entry["previous"][0]["vintage"]
    assert vintage.read_bytes() == old and entry["previous"][0]["hand_edited"] is False
    assert sources.verify_raw(project) == manifest


def test_a_hand_edited_raw_file_is_refused_and_recorded_when_replaced(fake_mirror, project):
    sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    dest = project.raw / "homicide-data.csv"
    dest.write_bytes(dest.read_bytes() + b"\n")
    with pytest.raises(RawFileConflictError, match="changed after it was fetched"):
        sources.verify_raw(project)
    manifest = sources.fetch(paths=project, mirror=fake_mirror, allow_network=True, replace=True)
    previous = manifest["files"]["homicide-data.csv"]["previous"][0]
    assert previous["hand_edited"] is True
    assert sources.verify_raw(project)


def test_no_network_and_no_mirror_says_what_is_missing(project, monkeypatch):
    monkeypatch.delenv("ANALYSIS_DATA_MIRROR", raising=False)
    with pytest.raises(DataUnavailableError) as err:
        sources.fetch(paths=project, allow_network=False)
    text = str(err.value)
    assert "homicide-data.csv" in text and "population_1980" in text
    assert "ANALYSIS_DATA_MIRROR" in text
    assert not (project.raw / "homicide-data.csv").exists()


def test_failed_download_leaves_no_partial_file(project, monkeypatch):
    monkeypatch.delenv("ANALYSIS_DATA_MIRROR", raising=False)

    def broken(url, dest, timeout):
        dest.write_bytes(b"uid,reported_da")  # half a file, then the connection drops
        raise OSError("connection reset")

    monkeypatch.setattr(sources, "_download", broken)
    with pytest.raises(DataUnavailableError, match="connection reset"):
        sources.fetch(paths=project)
    assert not (project.raw / "homicide-data.csv").exists()
    assert list(project.incoming.iterdir()) == []


def test_wrong_columns_are_refused(fake_mirror, project):
    (fake_mirror / "homicide-data.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(SchemaError, match="missing column"):
        sources.fetch(paths=project, mirror=fake_mirror, allow_network=False)
    assert not (project.raw / "homicide-data.csv").exists()


def test_mirror_that_is_not_a_folder(tmp_path, project):
    with pytest.raises(DataUnavailableError, match="is not a folder"):
        sources.fetch(paths=project, mirror=tmp_path / "nope", allow_network=False)


def test_registry_has_urls_licences_and_citations():
    for source in sources.SOURCES.values():
        assert source.url.startswith("https://")
        assert source.licence and source.citation and source.columns
