"""Run one submission's notebook in a fresh kernel; started by the grader as its own process.

    python -m inception_course.grading.runner NOTEBOOK SOCKET REPORT_FD TIMEOUT SETUP_TIMEOUT MAX_OUTPUT MEMORY

The grader starts this in a new session, in the submission's fresh folder, with the limits it
sets here inherited by the kernel: address space (``MEMORY`` bytes, 0 = none), no core files.
It runs a hidden first cell (``inception_course.grading.kernel.start``: the results channel;
``SETUP_TIMEOUT`` seconds for it, importing torch and the course), then the student's cells within ``TIMEOUT`` seconds in all; the kernel's output is counted, never
stored, and a kernel that prints more than ``MAX_OUTPUT`` bytes is stopped. How the run ended is
written as one JSON line to the inherited socket ``REPORT_FD``, which no other process holds. The
kernel can kill this process: the grader then still has every result sent so far.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "update_display_data"}


class CountingClient(NotebookClient):
    """A NotebookClient that keeps no outputs and stops a kernel that prints too much."""

    def __init__(self, *args, max_output: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_output, self.printed, self.flooded = max_output, 0, False

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] in OUTPUT_TYPES:
            self.printed += len(json.dumps(msg["content"], default=str))
            if self.printed > self.max_output and not self.flooded:
                self.flooded = True
                pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
                if pid:
                    os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session
            return None
        return super().process_message(msg, cell, cell_index)


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def run(notebook: nbformat.NotebookNode, socket_path: str, timeout: float, setup_timeout: float, max_output: int) -> str | None:
    """Execute the hidden set-up cell, then every code cell; how it stopped, None if all ran."""
    setup = nbformat.v4.new_code_cell(f"import inception_course.grading.kernel\ninception_course.grading.kernel.start({socket_path!r})")
    notebook.cells.insert(0, setup)  # nbclient writes each executed cell back at its index
    client = CountingClient(
        notebook, timeout=max(1, int(timeout)), kernel_name="python3", allow_errors=False,
        shutdown_kernel="immediate", resources={"metadata": {"path": os.getcwd()}}, max_output=max_output,
    )
    number = 0  # the student's cell being run, counted from 1 as Jupyter shows them
    try:
        with client.setup_kernel(env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            try:
                client.timeout = max(1, int(setup_timeout))
                client.execute_cell(setup, 0)
            except (CellExecutionError, CellTimeoutError, TimeoutError) as error:
                return f"the grader could not set up the kernel ({_first_line(str(error))})"
            start = time.monotonic()  # the limit is for the student's cells; starting a kernel has its own
            for number, cell in enumerate(notebook.cells[1:], start=1):
                if cell.cell_type != "code":
                    continue
                remaining = start + timeout - time.monotonic()
                if remaining <= 0:
                    raise CellTimeoutError(f"no time left before cell {number}")
                client.timeout = max(1, int(remaining + 0.999))
                client.execute_cell(cell, number)
    except CellExecutionError as error:
        return f"the notebook stopped at cell {number} with {error.ename}: {_first_line(error.evalue)}"
    except (CellTimeoutError, TimeoutError):
        return f"the notebook ran past the {timeout:g} s time limit (at cell {number}): is a loop endless?"
    except DeadKernelError:
        if client.flooded:
            return f"the notebook printed more than {max_output / 1e6:g} MB of output (at cell {number}): stopped there"
        return f"the notebook's kernel died at cell {number} (out of memory, or it ended itself)"
    except Exception as error:  # noqa: BLE001 - a kernel that cannot start is a result too
        if client.flooded:
            return f"the notebook printed more than {max_output / 1e6:g} MB of output (at cell {number}): stopped there"
        return f"the notebook could not be run: {type(error).__name__}: {_first_line(str(error))}"
    return None


def main(argv: list[str]) -> int:
    notebook_path, socket_path, report_fd, timeout, setup_timeout, max_output, memory = argv
    if int(memory) > 0 and sys.platform.startswith("linux"):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    report = socket.socket(fileno=int(report_fd))
    start = time.monotonic()
    stopped = run(nbformat.read(notebook_path, as_version=4), socket_path, float(timeout), float(setup_timeout), int(max_output))
    report.sendall((json.dumps({"stopped": stopped, "seconds": time.monotonic() - start}) + "\n").encode())
    report.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
