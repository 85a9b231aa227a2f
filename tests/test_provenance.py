import hashlib

import pytest

from analysis.provenance import (
    atomic_path,
    code_version,
    file_record,
    sha256_file,
    write_text_atomic,
)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    dest = tmp_path / "out.txt"
    dest.write_text("good")
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert dest.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_checksums_and_records(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    assert sha256_file(path) == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert file_record(path, tmp_path) == {"path": "a.csv", "sha256": sha256_file(path), "bytes": 8}


def test_code_version_names_the_package():
    info = code_version()
    assert info["package"] == "analysis" and info["version"]


def test_atomic_outputs_are_readable_under_the_usual_umask(tmp_path):
    """A web server or a colleague can read what a run writes (not mkstemp's 0600)."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
