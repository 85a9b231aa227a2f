"""One warm Jupyter kernel for a run's notebooks.

Started in a kernel of their own, the three notebooks paid about 2 s of kernel start and
3 s of imports each: half of a 30 s run. The runner starts one kernel as soon as a run
begins; the kernel imports the stages' modules while the runner checks the parameters and
the data, and then runs the notebooks one after the other. Before each notebook the kernel
is reset as IPython resets a new session (``reset(new_session=True)``: the namespace
emptied, the execution counter back at 1) and moved into the run's folder, so a notebook
sees what a fresh kernel started there would show it; only its modules are already
imported. tests/test_pipeline.py checks that a notebook run this way gives the same bytes
as one run in a fresh kernel of its own.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import time
from pathlib import Path

from analysis.errors import PipelineError

log = logging.getLogger(__name__)

#: What the notebooks import, imported while the runner checks the run (a silent execution:
#: no output, no history, no execution count).
WARM_UP = "import IPython.display, analysis.core, analysis.figures, analysis.pipeline.stages"
#: Seconds to wait for the kernel to be ready: papermill's own start timeout.
START_TIMEOUT = 60.0


class WarmKernel:
    """A kernel started once, warmed by importing the notebooks' modules, and reset into a
    fresh session before each notebook (see the module docstring)."""

    def __init__(self, kernel_name: str, cwd: Path | str):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_client.session import Session
        from jupyter_core.utils import run_sync

        class Manager(AsyncKernelManager):
            """Keeps the clients papermill makes: papermill leaves a client open when it
            does not own the kernel; they are closed before the next notebook."""

            def client(self, **kwargs):
                made = super().client(**kwargs)
                clients.append(made)
                return made

        clients: list = []
        self.kernel_name = kernel_name
        self._run_sync = run_sync
        self._papermill_clients = clients
        # Unix sockets in a private folder rather than TCP ports on localhost (ipykernel
        # warns that TCP is unencrypted); Windows has no Unix sockets
        self._sockets = None if os.name == "nt" else tempfile.mkdtemp(prefix="analysis-kernel-")
        where = {"transport": "ipc", "ip": os.path.join(self._sockets, "kernel")}
        self.manager = Manager(kernel_name=kernel_name, **(where if self._sockets else {}))
        try:
            run_sync(self.manager.start_kernel)(cwd=str(cwd))
        except Exception as exc:
            raise PipelineError(
                f"the Jupyter kernel {kernel_name!r} did not start: {type(exc).__name__}: "
                f"{exc}. Run `make setup` (it installs the kernel), then run again"
            ) from exc
        # a session of its own (the kernel routes replies by the session's identity, which
        # papermill's clients share) and the shell channel only: the notebooks' outputs go
        # to papermill's client
        session = Session(key=self.manager.session.key)
        self.client = self.manager.client(session=session)
        clients.clear()  # that one is ours, not papermill's
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self._pending = self.client.execute(WARM_UP, silent=True, store_history=False)

    def _close_papermill_clients(self) -> None:
        while self._papermill_clients:
            self._papermill_clients.pop().stop_channels()

    def prepare(self, folder: Path | str) -> None:
        """Wait for the warm-up, then empty the namespace, set the execution counter to 1,
        forget which warnings were shown and move into ``folder``: the state of a kernel
        freshly started there."""
        self._close_papermill_clients()
        if self._pending is not None:
            self._reply(self._pending)  # an import error shows in the notebook's own cell
            self._pending = None
        code = (
            f"import os, warnings\nos.chdir({str(folder)!r})\n"
            # leaving catch_warnings invalidates every module's record of warnings already
            # shown, so a library's warning shows again, as in a fresh kernel
            "with warnings.catch_warnings():\n    pass\n"
            "get_ipython().reset(new_session=True)\n"
        )
        reply = self._reply(self.client.execute(code, silent=True, store_history=False))
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise PipelineError(
                f"the kernel could not be reset for the next notebook: "
                f"{content.get('ename')}: {content.get('evalue')}"
            )

    def _reply(self, msg_id: str, timeout: float = START_TIMEOUT) -> dict:
        return self._run_sync(self._await_reply)(msg_id, timeout)

    async def _await_reply(self, msg_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await self.client.get_shell_msg(timeout=1.0)
            except queue.Empty:
                if not await self.manager.is_alive():
                    raise PipelineError(
                        f"the Jupyter kernel {self.kernel_name!r} died before the notebooks "
                        "ran; the last good outputs are unchanged"
                    ) from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        raise PipelineError(
            f"the Jupyter kernel {self.kernel_name!r} did not answer within {timeout:.0f} s; "
            "the last good outputs are unchanged"
        )

    def shutdown(self, *, now: bool = False) -> None:
        """Stop the kernel: asked to shut down, or killed ``now`` (a kernel that died
        already is fine)."""
        self._close_papermill_clients()
        self.client.stop_channels()
        try:
            self._run_sync(self.manager.shutdown_kernel)(now=now)
        except Exception as exc:  # never hide the error that stopped the run
            log.warning("the notebook kernel did not shut down cleanly: %s", exc)
        finally:
            if self._sockets:
                shutil.rmtree(self._sockets, ignore_errors=True)
