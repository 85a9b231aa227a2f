"""The warm kernel the runner runs a run's notebooks in: each notebook sees a fresh
session (no names left, execution counts from 1, the run folder as working folder)."""

import nbformat
import papermill as pm
import pytest

from analysis.errors import PipelineError
from analysis.pipeline import ensure_kernel
from analysis.pipeline.kernel import WarmKernel

pytestmark = pytest.mark.notebook


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "analysis", "display_name": "a", "language": "python"}
    nbformat.write(nb, path)
    return path


def _outputs(path):
    nb = nbformat.read(path, as_version=4)
    return [
        ([o.get("text", o.get("data", {}).get("text/plain")) for o in c.outputs], c.execution_count)
        for c in nb.cells
    ]


#: A warning from a module that outlives the session (as a library's does): shown once per
#: session, like in a fresh kernel.
WARN = (
    "import sys, types\n"
    "lib = sys.modules.setdefault('a_library', types.ModuleType('a_library'))\n"
    "exec('import warnings\\ndef f(): warnings.warn(\\'careful\\')', lib.__dict__)\n"
    "lib.f()"
)


def test_each_notebook_starts_a_fresh_session_in_its_folder(tmp_path):
    first = _notebook(tmp_path / "a.ipynb", "secret = 41", "import os; print(os.getcwd())", WARN)
    second = _notebook(
        tmp_path / "b.ipynb", "print('secret' in dir())", "import os; print(os.getcwd())", WARN
    )
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    kernel = WarmKernel(ensure_kernel(), tmp_path)
    try:
        for source, folder in ((first, one), (second, two)):
            kernel.prepare(folder)
            pm.execute_notebook(
                str(source),
                str(folder / "out.ipynb"),
                kernel_name=kernel.kernel_name,
                km=kernel.manager,
                progress_bar=False,
            )
    finally:
        kernel.shutdown()
    a, b = _outputs(one / "out.ipynb"), _outputs(two / "out.ipynb")
    assert a[:2] == [([], 1), ([f"{one}\n"], 2)]
    assert b[:2] == [(["False\n"], 1), ([f"{two}\n"], 2)]
    assert "UserWarning: careful" in a[2][0][0] and "UserWarning: careful" in b[2][0][0]
    assert not kernel.manager.has_kernel


def test_a_kernel_that_died_between_notebooks_is_a_pipeline_error(tmp_path):
    import signal

    from jupyter_core.utils import run_sync

    kernel = WarmKernel(ensure_kernel(), tmp_path)
    try:
        run_sync(kernel.manager.signal_kernel)(signal.SIGKILL)
        with pytest.raises(PipelineError, match="died before the notebooks ran"):
            kernel.prepare(tmp_path)
    finally:
        kernel.shutdown()


def test_an_unknown_kernel_says_what_to_do(tmp_path):
    with pytest.raises(PipelineError, match="'no-such-kernel' did not start.*make setup"):
        WarmKernel("no-such-kernel", tmp_path)
