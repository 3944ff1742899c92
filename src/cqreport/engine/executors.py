"""Executors: how a report's notebook is run, behind one interface (the ``execute`` step).

Both go through papermill, which parameterizes the notebook (the cell tagged
``injected-parameters``, strings only), records the run in the notebook's
metadata, writes the executed notebook and raises on a failing cell. They
differ in the papermill *engine* they register and use, the way papermill's own
engine registry lets a tool plug in how cells are run:

* ``papermill`` (:class:`PapermillExecutor`, cold): papermill's own nbclient
  engine, in a kernel started for this report alone and shut down after it.
  Nothing is reused: the reference a cached build is compared with.
* ``warm`` (:class:`~cqreport.engine.warm.WarmExecutor`): a kernel kept across
  reports (reset in between) and across preview builds; chart cells whose inputs
  are unchanged take their outputs from the work cache; after a template change
  only what reads the narrative runs again.

``cqreport build`` uses ``warm`` unless told ``--cold``; the preview uses ``warm``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..report.params import ReportParams
from .kernel import Kernel


class UnitKeys(Protocol):
    """What the engine process knows of a report's cached units (see :mod:`cqreport.engine.units`)."""

    def chart_key(self, topic: str, cell: str, before: list[str]) -> str | None:
        """The key of a chart cell's outputs, or None when it cannot be known."""


class Executor(Protocol):
    """Runs a report's notebook. One instance runs the reports of one process, one at a time."""

    name: str

    def start(self) -> None:
        """Get a kernel ready (called early, so that it starts while the process prepares)."""

    def execute(self, notebook: Path, params: ReportParams, output: Path | None, *,
                timeout: int, units: UnitKeys | None = None,
                changes: set[str] | None = None) -> Any:
        """Run the notebook with these parameters; return the executed notebook (nbformat).

        Args:
            notebook: The report notebook.
            params: Its parameters (papermill injects them as strings).
            output: Where papermill writes the executed notebook (None: nowhere).
            timeout: Seconds a cell may run.
            units: Keys of the cached units (None: nothing is taken from the cache).
            changes: Kinds of change since the last run of the same report in this
                executor (preview); None means run everything.

        Raises:
            papermill.PapermillExecutionError: A cell raised (the executed notebook is written).
            BuildError: A cell ran out of time, or the kernel died.
        """

    @property
    def runs(self) -> int:
        """How many reports the current kernel has run (1: a fresh kernel)."""

    def failed(self) -> None:
        """The last report failed: the kernel's state is unknown, replace it before the next."""

    def close(self) -> None:
        """Shut the kernels down."""


class PapermillExecutor:
    """Cold: papermill's nbclient engine in a fresh kernel for every report."""

    name = "papermill"

    def __init__(self, kernel: str, **_options: Any):
        self.kernel_name = kernel
        self._next: Kernel | None = None

    def start(self) -> None:
        if self._next is None:
            self._next = Kernel(self.kernel_name)

    def execute(self, notebook: Path, params: ReportParams, output: Path | None, *,
                timeout: int, units: UnitKeys | None = None,
                changes: set[str] | None = None) -> Any:
        import papermill

        self.start()
        kernel, self._next = self._next, None
        try:
            return papermill.execute_notebook(
                str(notebook), None if output is None else str(output),
                parameters=params.to_papermill(), kernel_name=self.kernel_name,
                execution_timeout=timeout, request_save_on_cell_execute=False,
                progress_bar=False, log_output=False, km=kernel.km)
        finally:
            kernel.shutdown()

    @property
    def runs(self) -> int:
        return 1

    def failed(self) -> None:
        pass

    def close(self) -> None:
        if self._next is not None:
            self._next.shutdown()
            self._next = None


#: The executors by name, as ``module:class`` (imported when used: the warm one imports
#: papermill's engine machinery). The first is the default.
REGISTRY: dict[str, str] = {
    "warm": "cqreport.engine.warm:WarmExecutor",
    "papermill": "cqreport.engine.executors:PapermillExecutor",
}


def executor_factory(name: str) -> Callable[..., Executor]:
    """The executor class registered under that name (see :data:`REGISTRY`)."""
    import importlib

    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)
