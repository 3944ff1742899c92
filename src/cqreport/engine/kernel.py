"""The Jupyter kernel a report runs in, started early and reset between reports.

Also the checks on an executed notebook that are about execution: missing
glyphs, warnings, and a failing cell's message.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

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


def _failure_message(exc: BaseException, notebook: Path | None = None) -> str:
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
