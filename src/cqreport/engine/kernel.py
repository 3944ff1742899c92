"""The Jupyter kernels reports run in: started early, reset between reports, or kept warm.

:class:`Kernel` is a kernel process (the cold executor hands it to papermill);
:class:`WarmKernel` is a client of one that runs code cell by cell and returns the
outputs as nbformat nodes (the warm executor). Also the checks on an executed
notebook that are about execution: missing glyphs, warnings, and a failing cell's message.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BuildError, CqreportError

KERNEL_NAME = "cqreport"


CELL_TIMEOUT = 300  # seconds per cell; the whole report runs in well under a minute


# Imported in the kernel while this process gets ready: the notebook needs them anyway.
# Run by the kernel as it starts (IPython exec_lines), so these imports overlap with this
# process's own preparation. It binds no name and never fails.
WARMUP_MODULES = ("IPython.display", "cqreport.report.params", "cqreport.dataset.model", "cqreport.analysis.quarter",
                  "cqreport.report.narrative", "cqreport.report.charts", "seaborn",
                  "matplotlib.backends.backend_agg")


WARMUP_CODE = (f"for _m in {WARMUP_MODULES!r}:\n"
               "    try:\n        __import__(_m)\n    except Exception:\n        pass\n"
               "del _m")


_GLYPH_RE = re.compile(r"Glyph .{0,40}missing", re.S)


def check_kernel(name: str) -> None:
    """Fail early, with the fix, when the named kernel is not installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel as exc:
        raise BuildError(
            f"Jupyter kernel {name!r} is not installed; run `make install`, or "
            f"`{sys.executable} -m ipykernel install --sys-prefix --name {name}`"
        ) from exc


# Between two reports run in one kernel: forget every name the last one made
# (modules stay imported) and number cells from one again.
RESET_CODE = ("get_ipython().run_line_magic('reset', '-f')\n"
              "get_ipython().execution_count = 1")


class Kernel:
    """A kernel for the reports of a batch, warming up while this process gets ready.

    The warm-up imports run as IPython ``exec_lines`` inside the kernel's own
    start-up, so papermill simply finds the kernel ready (and the imports done)
    when it connects. A batch runs its reports one after another in the same
    kernel, with the user namespace reset in between (:meth:`reset`); after a
    failed report the kernel is thrown away, since its state is unknown.
    """

    def __init__(self, name: str, warmup: str | None = WARMUP_CODE):
        from jupyter_client.manager import KernelManager

        class TrackingKernelManager(KernelManager):
            """Remembers the clients papermill makes, to close them after each report."""

            def client(self, **kwargs):
                kc = super().client(**kwargs)
                clients.append(kc)
                return kc

        clients: list = []
        self.clients = clients
        self.km = TrackingKernelManager(kernel_name=name)
        # a folder of its own: for the local sockets, and as a working directory
        # that outlives every report folder
        # (the pid in its name lets a later build remove it if this process is killed)
        self.home = Path(tempfile.mkdtemp(prefix=f"cqreport-kernel-{os.getpid()}-"))
        if sys.platform.startswith("linux"):
            # local sockets: no TCP ports to race for, no "unencrypted TCP" warning
            self.km.transport = "ipc"
            self.km.ip = str(self.home / "kernel")
        # No input history: the reports need none, parallel kernels would contend for
        # one SQLite file, and restarting the cell numbers would collide in it.
        extra = ["--HistoryManager.enabled=False"]
        if warmup:
            extra.append(f"--IPKernelApp.exec_lines={json.dumps([warmup])}")
        self.km.start_kernel(cwd=str(self.home), extra_arguments=extra)
        self.reports = 0
        self._reset_id: str | None = None
        self._control = None

    def close_clients(self) -> None:
        """Close papermill's clients of the last report (it leaves them open when it does
        not own the kernel; open sockets would also hold up this process's exit)."""
        for kc in self.clients:
            if kc is self._control:
                continue
            with contextlib.suppress(Exception):
                kc.stop_channels()
                kc.context.destroy(linger=0)
        self.clients[:] = [self._control] if self._control is not None else []

    def reset(self) -> None:
        """Start resetting the namespace; the next :meth:`wait_reset` waits for it."""
        self.close_clients()
        if self._control is None:
            # A session of its own: clients sharing the manager's session share one
            # socket identity, and the kernel routes replies to the newest of them.
            from jupyter_client.session import Session

            own = Session(key=self.km.session.key,
                          signature_scheme=self.km.session.signature_scheme)
            self._control = self.km.client(session=own)
            self._control.start_channels()
            self._control.wait_for_ready(timeout=60)
        self._reset_id = self._control.execute(RESET_CODE, silent=True, store_history=False,
                                               stop_on_error=False)

    def wait_reset(self, timeout: float = 60) -> None:
        """Wait until the kernel has done the reset asked for by :meth:`reset`."""
        if self._reset_id is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            msg = self._control.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == self._reset_id:
                break
        self._reset_id = None
        if msg["content"].get("status") != "ok":
            raise BuildError(f"could not reset the kernel between reports: {msg['content']}")

    def shutdown(self) -> None:
        """Kill the kernel (the executed notebooks are saved by then)."""
        self._control_close()
        self.close_clients()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def _control_close(self) -> None:
        if self._control is not None:
            with contextlib.suppress(Exception):
                self._control.stop_channels()
                self._control.context.destroy(linger=0)
            self._control = None


@dataclass
class CellError(Exception):
    """A cell raised: its exception name and message."""

    ename: str
    evalue: str

    def __str__(self) -> str:
        return f"{self.ename}: {self.evalue}"


class WarmKernel:
    """A kernel kept across builds, running code cell by cell and returning nbformat outputs."""

    def __init__(self, name: str = KERNEL_NAME):
        from jupyter_client.session import Session

        self.kernel = Kernel(name)
        km = self.kernel.km
        # a session of its own, as Kernel.reset does, so replies are routed to this client
        own = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
        self.client = km.client(session=own)
        self.client.start_channels()
        self._ready = False

    def wait_ready(self) -> None:
        """Wait until the kernel answers (it imports the library as it starts)."""
        if not self._ready:
            self.client.wait_for_ready(timeout=120)
            self._ready = True

    def run(self, code: str, timeout: float = CELL_TIMEOUT, cell: bool = True) -> list[Any]:
        """Run code; return its outputs. Raises :class:`CellError` when it raises, with the
        outputs so far (the error among them) as ``outputs`` on the exception.

        A notebook cell (``cell``) is run as Jupyter runs one: stored in the (in-memory)
        history, which is where IPython looks for a closing ``;`` that hides the value."""
        from nbformat.v4 import output_from_msg

        self.wait_ready()
        msg_id = self.client.execute(code, store_history=cell, allow_stdin=False,
                                     stop_on_error=True)
        outputs: list[Any] = []
        error: CellError | None = None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kernel.km.interrupt_kernel()
                raise BuildError(f"a cell ran longer than {timeout:.0f} s")
            try:
                msg = self.client.get_iopub_msg(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "clear_output":
                outputs.clear()
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(output_from_msg(msg))
                if kind == "error":
                    error = CellError(content.get("ename", "Error"), content.get("evalue", ""))
        # the shell reply follows the idle status; drain it so replies never pile up
        with contextlib.suppress(queue.Empty):
            while self.client.get_shell_msg(timeout=5)["parent_header"].get("msg_id") != msg_id:
                pass
        if error is not None:
            error.outputs = outputs  # type: ignore[attr-defined]
            raise error
        return outputs

    def shutdown(self) -> None:
        """Stop the kernel and close the client."""
        with contextlib.suppress(Exception):
            self.client.stop_channels()
        self.kernel.shutdown()


def notebook_warnings(nb) -> list[str]:
    """stderr text of every code cell, each prefixed with its cell number."""
    found = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                found.append(f"cell {i}: {o.get('text', '').strip()}")
    return found


def check_glyphs(nb) -> None:
    """Fail on a matplotlib "Glyph … missing from font" warning: Chinese drawn as boxes."""
    bad = [w for w in notebook_warnings(nb) if _GLYPH_RE.search(w)]
    if bad:
        raise BuildError("a chart is missing glyphs (text would show as boxes): " + bad[0][:300])


def failure_message(exc: BaseException, notebook: Path | None = None) -> str:
    """One line saying why a report failed: the failing cell as the user finds it, or the error."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError
        return (f"{_cell_name(exc, notebook)} raised {ename}: "
                f"{str(getattr(exc, 'evalue', '')).strip()[:500]}")
    if isinstance(exc, CqreportError):
        return str(exc)
    return f"{type(exc).__name__}: {str(exc).strip()[:500]}"


def _cell_name(exc: BaseException, notebook: Path | None) -> str:
    """The failing cell as a user finds it in the source notebook: its position there
    (counting every cell from 1, as JupyterLab shows them) and its first line.

    papermill's index counts the injected-parameters cell of the executed copy, so
    the cell is found in the source notebook by its code instead."""
    source = str(getattr(exc, "source", "") or "")
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    where = f"cell {getattr(exc, 'cell_index', '?')} of the executed notebook"
    if notebook is not None and source:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
            for i, c in enumerate(cells, start=1):
                text = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                if text.strip() == source.strip():
                    where = f"cell {i} of {Path(notebook).name}"
                    break
    return f"{where} (`{first[:60]}`)" if first else where
