"""Look at a lesson's widgets in a real browser: JupyterLab (or Notebook 7) driven by headless Chromium.

Why: the widget tests run without a front end, so they cannot see what a browser draws (a squeezed
button, a label on the wrong line) nor what it logs (errors setting widget state), nor what a
reloaded notebook shows where widgets were. This script starts a Jupyter server on a free port with
a token over a temporary copy of one lesson, runs the lesson in fast mode
(``INCEPTION_COURSE_FAST=1``), screenshots the widget and training cells, uses the widget the way a
student would, saves, reloads the page and screenshots again. It writes, to the folder given:

* ``<lesson>-<ui>-<step>-cell<N>.png``: the cells that train or show a widget, after running (1),
  after the widget's button trained (2, with ``--train``), after using the widget (3) and after
  the reload (4);
* ``console.log``: the browser console, before and after the reload;
* ``server.log``: the Jupyter server's log;
* ``report.json``: the screenshots with the number of figures drawn in each, the console errors
  (apart from resources offline and the front end's own noise), the cells that show "Error
  displaying widget" after the reload, and the cell that failed, if one did;
* ``failure.png``: the page when the check itself went wrong.

It exits 1 when the browser logged an error, a reloaded cell shows a dead widget or a cell failed,
2 for a bad setting, so a teacher sees at a glance whether the lesson looks right. It is a tool, not a CI test
(CI has no browser). Needs ``pip install selenium`` and Chromium with its driver
(``apt-get install chromium chromium-driver``).

    python tools/browser_check.py --lesson 8 --out /tmp/browser-check            # JupyterLab
    python tools/browser_check.py --lesson 6 --out /tmp/browser-check --ui notebook   # Notebook 7

One lesson at a time; the server and the browser are closed at the end, even after an error.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
# cells worth a screenshot: those that show a widget or train (and so show progress)
WATCHED = ("_explorer(", "run_pair(", "run_scaling_experiment(")
DEAD_WIDGET = "Error displaying widget"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
# errors of the front end itself, logged on an empty notebook too (Notebook 7.6.5 with JupyterLab 4.6.6)
FRONT_END_NOISE = ("Cannot read properties of undefined (reading 'schema')",)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lesson", required=True, help="lesson number (6) or notebook path")
    parser.add_argument("--out", required=True, type=Path, help="folder for screenshots, console log and report")
    parser.add_argument("--ui", choices=("lab", "notebook"), default="lab", help="JupyterLab (default) or Notebook 7")
    parser.add_argument("--train", action="store_true", help="also click the widget's train button (seconds in fast mode)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the lesson to run (default 900)")
    return parser.parse_args(argv)


def lesson_path(lesson: str) -> Path:
    """``6`` -> ``lessons/06_....ipynb``; a path is taken as it is."""
    if lesson.isdigit():
        found = sorted(LESSONS.glob(f"{int(lesson):02d}_*.ipynb"))
        if not found:
            raise ValueError(f"no lesson {lesson} in {LESSONS}; give a number 0-9 or a notebook path")
        return found[0]
    path = Path(lesson)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"{lesson} is not a notebook; give a lesson number or an .ipynb path")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_server(ui: str, folder: Path, port: int, token: str, log_path: Path):
    """A Jupyter server over ``folder`` (fast mode, this checkout's code first on the path), logging to
    ``log_path``; stopped on exit."""
    # every cell in the page (no windowing), so each can be found and screenshotted; no news pop-up over them
    for plugin, value in (("notebook-extension/tracker", {"windowingMode": "none"}),
                          ("apputils-extension/notification", {"fetchNews": "false"})):
        path = folder / ".settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    app = "LabApp" if ui == "lab" else "JupyterNotebookApp"
    command = [
        sys.executable, "-m", "jupyter", ui, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", f"--{app}.expose_app_in_browser=True",
        f"--{app}.user_settings_dir={folder / '.settings'}", f"--{app}.workspaces_dir={folder / '.workspaces'}",
    ] + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])  # containers, Colab-like VMs
    env = {**os.environ, "INCEPTION_COURSE_FAST": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "OMP_NUM_THREADS": "1", "JUPYTER_RUNTIME_DIR": str(folder / ".runtime")}
    log = open(log_path, "w")
    server = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Jupyter server did not start; see {log_path}")
                time.sleep(1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextmanager
def chromium():
    """Headless Chromium that keeps the console log, quit on exit."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2400"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the system's chromedriver when there is one (else Selenium Manager fetches one: internet needed)
    found = shutil.which("chromedriver")
    service = webdriver.ChromeService(executable_path=found) if found else None
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, script: str, timeout: float, what: str):
    """Poll ``script`` (JavaScript returning a value) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(1)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


NOTEBOOK = "const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
READY = NOTEBOOK + """
return panel && panel.content && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel && panel.sessionContext.session.kernel.connectionStatus === 'connected'
    && panel.content.widgets.length > 0;"""
# done: every code cell ran, or one failed (Run All stops there); returns the failing cell's index + 1
FINISHED = NOTEBOOK + """
const cells = panel.content.widgets.filter(c => c.model.type === 'code');
const failed = cells.findIndex(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
if (failed >= 0) return {failed: panel.content.widgets.indexOf(cells[failed])};
const busy = cells.some(c => c.model.executionState === 'running' || c.model.executionCount === null);
return busy ? null : {failed: null};"""
DEAD = NOTEBOOK + f"""
return panel.content.widgets.map((c, i) => [i, c.node.innerText.includes({json.dumps(DEAD_WIDGET)})])
    .filter(([i, dead]) => dead).map(([i]) => i);"""


def open_notebook(driver, base: str, ui: str, name: str, token: str) -> None:
    path = "lab/tree" if ui == "lab" else "notebooks"
    driver.get(f"{base}/{path}/{name}?token={token}")
    wait_for(driver, READY, 180, "the notebook and its kernel")
    time.sleep(3)  # let the widget manager restore what it can


def screenshot_cells(driver, cells: list[int], out: Path, prefix: str) -> list[str]:
    """Scroll to each cell and screenshot it (the page is tall, so most cells fit whole)."""
    from selenium.webdriver.common.by import By

    names = []
    for index in cells:
        wait_for(driver, NOTEBOOK + f"""
const node = panel.content.widgets[{index}].node;
document.querySelectorAll('[data-browser-check]').forEach(n => n.removeAttribute('data-browser-check'));
node.setAttribute('data-browser-check', 'cell');
if (!node.isConnected) panel.content.scrollToItem({index});  // a windowed notebook draws cells near the view only
else node.scrollIntoView({{block: 'start'}});
return node.isConnected;""", 30, f"cell {index} to be drawn")
        time.sleep(1)
        name = f"{prefix}-cell{index}.png"
        cell = driver.find_element(By.CSS_SELECTOR, "[data-browser-check]")
        cell.screenshot(str(out / name))
        # a drawn figure is an <img> of some height: a blank output shows as 0 here
        figures = driver.execute_script("return [...arguments[0].querySelectorAll('img')].filter(i => i.naturalHeight > 0).length", cell)
        names.append(f"{name} ({figures} figures)")
    return names


def console(driver) -> list[dict]:
    return driver.get_log("browser")


def click_in_cell(driver, cell: int, selector: str, text: str) -> bool:
    """Click the first ``selector`` element of ``cell`` whose text contains ``text``."""
    return bool(driver.execute_script(NOTEBOOK + f"""
const nodes = [...panel.content.widgets[{cell}].node.querySelectorAll({json.dumps(selector)})];
const node = nodes.find(n => n.innerText.includes({json.dumps(text)}));
if (node) node.click();
return !!node;"""))


def choose_next_option(driver, cell: int) -> bool:
    """Pick the next entry of the cell's first drop-down (lesson 8: the pair; 6: the model), as a student would."""
    return bool(driver.execute_script(NOTEBOOK + f"""
const select = panel.content.widgets[{cell}].node.querySelector('select:not([multiple])');
if (!select) return false;
select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
select.dispatchEvent(new Event('change', {{bubbles: true}}));
return true;"""))


def settle(driver, timeout: float) -> None:
    """Wait until the kernel has handled what the page sent it (a click, a choice): the kernel answers
    its requests in order, so the reply to an empty request sent now comes after them."""
    driver.set_script_timeout(timeout)
    answer = driver.execute_async_script(NOTEBOOK + """
const done = arguments[arguments.length - 1];
panel.sessionContext.session.kernel.requestExecute({code: '', silent: true, store_history: false})
    .done.then(() => done(true), error => done(String(error)));""")
    if answer is not True:
        raise RuntimeError(f"the kernel did not answer: {answer}")
    time.sleep(5)  # outputs come on another channel than the reply: let them arrive and be drawn


def drive(driver, base: str, token: str, args: argparse.Namespace, name: str, watched: list[int],
          widget_cells: list[int], report: dict, logs: list[str]) -> None:
    """Run the lesson, use its widgets, save, reload; screenshots and console lines into ``report``/``logs``."""
    prefix = f"{name[:2]}-{args.ui}"
    open_notebook(driver, base, args.ui, name, token)
    driver.execute_script(NOTEBOOK + "window.jupyterapp.commands.execute('notebook:run-all-cells');")
    started = time.monotonic()
    finished = wait_for(driver, FINISHED, args.timeout, "the lesson to run")
    report["run_seconds"] = round(time.monotonic() - started)
    report["failed_cell"] = finished["failed"]
    report["steps"]["ran"] = screenshot_cells(driver, watched, args.out, f"{prefix}-1-ran")
    for cell in widget_cells:  # use each widget as a student would
        if args.train and click_in_cell(driver, cell, "button", "Train"):
            settle(driver, args.timeout)
            report["steps"]["trained"] = screenshot_cells(driver, [cell], args.out, f"{prefix}-2-trained")
        if choose_next_option(driver, cell):
            settle(driver, 120)
    report["steps"]["used"] = screenshot_cells(driver, widget_cells, args.out, f"{prefix}-3-used")
    logs += [f"[before reload] {e['level']} {e['message']}" for e in console(driver)]
    driver.execute_script(NOTEBOOK + "return window.jupyterapp.commands.execute('docmanager:save');")
    time.sleep(3)
    open_notebook(driver, base, args.ui, name, token)  # loading the page again: a reload
    report["steps"]["reloaded"] = screenshot_cells(driver, watched, args.out, f"{prefix}-4-reloaded")
    report["dead_widgets_after_reload"] = driver.execute_script(DEAD)
    logs += [f"[after reload] {e['level']} {e['message']}" for e in console(driver)]


def check(args: argparse.Namespace) -> dict:
    """Check one lesson; returns the report (also written to ``args.out``)."""
    source = lesson_path(args.lesson)
    args.out.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(source, as_version=4)
    watched = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and any(w in c.source for w in WATCHED)]
    widget_cells = [i for i in watched if "_explorer(" in notebook.cells[i].source]
    report: dict = {"lesson": source.name, "ui": args.ui, "cells": watched, "steps": {}}
    logs: list[str] = []
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="browser-check-") as tmp:
        folder = Path(tmp)
        shutil.copy(source, folder / source.name)
        if (source.parent / "figures").is_dir():
            shutil.copytree(source.parent / "figures", folder / "figures")
        with jupyter_server(args.ui, folder, free_port(), token, args.out / "server.log") as base, chromium() as driver:
            try:
                drive(driver, base, token, args, source.name, watched, widget_cells, report, logs)
            except Exception:
                driver.save_screenshot(str(args.out / "failure.png"))  # what the page showed when it went wrong
                (args.out / "console.log").write_text("\n".join(logs + [f"{e['level']} {e['message']}" for e in console(driver)]) + "\n")
                raise
    (args.out / "console.log").write_text("\n".join(logs) + "\n")
    offline = [line for line in logs if "net::ERR_NAME_NOT_RESOLVED" in line or "net::ERR_INTERNET_DISCONNECTED" in line]
    report["offline"] = offline  # e.g. the Colab badge without internet: not the lesson's fault
    known = [line for line in logs if any(noise in line for noise in FRONT_END_NOISE)]
    report["front_end_noise"] = known
    report["console_errors"] = [line for line in logs if " SEVERE " in line and line not in offline + known]
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def missing_tools() -> str | None:
    """What to install before a check can run, or None."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is missing; pip install selenium"
    if not any(shutil.which(name) for name in BROWSERS):
        return "no Chromium found; apt-get install chromium chromium-driver (or install Google Chrome)"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        lesson_path(args.lesson)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if missing := missing_tools():
        print(f"error: {missing}", file=sys.stderr)
        return 2
    report = check(args)
    print(json.dumps({k: v for k, v in report.items() if k != "steps"}, indent=2))
    print(f"screenshots, console.log and report.json in {args.out}")
    bad = report["console_errors"] or report["dead_widgets_after_reload"] or report["failed_cell"] is not None
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
