"""python -m inception_course.grade: generated submissions of a tiny two-exercise lesson - untouched,
solved, half-solved, raising, looping forever - and one real solutions notebook, graded in fresh
kernels; the CSV, the feedback files and the exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from inception_course import grade

REPO = Path(__file__).resolve().parents[1]
TITLE = "# Lesson 1 - A tiny lesson"
IMPORTS = "from inception_course.exercises import check_output_size, check_rmsprop_tf"
SIZE_SKELETON = "def output_size(size, kernel, stride=1, padding=0):\n    return size - kernel + 1\n\nresult = check_output_size(output_size)"
SIZE_SOLVED = "def output_size(size, kernel, stride=1, padding=0):\n    return (size + 2 * padding - kernel) // stride + 1\n\nresult = check_output_size(output_size)"
STEP_SKELETON = "def step(param, grad, ms, mom, lr, decay, eps, momentum):\n    return param - lr * grad, ms, mom\n\nresult = check_rmsprop_tf(step)"
STEP_SOLVED = (
    "def step(param, grad, ms, mom, lr, decay, eps, momentum):\n    ms = decay * ms + (1 - decay) * grad**2\n"
    "    mom = momentum * mom + lr * grad / (ms + eps).sqrt()\n    return param - mom, ms, mom\n\nresult = check_rmsprop_tf(step)"
)


def notebook(path: Path, *code: str, title: str = TITLE) -> Path:
    cells = [nbformat.v4.new_markdown_cell(title)] + [nbformat.v4.new_code_cell(source) for source in code]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


DELETES_EVERYTHING = "import os, shutil\nfor name in os.listdir('.'):\n    shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)"
KILLS_ITS_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
FLOODS = "while True:\n    print('x' * 100_000)"
FORGES_THE_OLD_LOG = (
    "import json, os\nfor name in ('check_output_size', 'check_rmsprop_tf'):\n"
    "    with open(os.environ.get('INCEPTION_COURSE_CHECK_LOG', 'results.jsonl'), 'a') as f:\n"
    "        f.write(json.dumps({'checker': name, 'exercise': name, 'passed': True, 'messages': [], 'checks': []}) + '\\n')"
)
FORGES_ON_THE_CHANNEL = (  # writes a "passed" line to every Unix socket the kernel holds
    "import json, os, socket\nfor fd in map(int, os.listdir('/proc/self/fd')):\n    try:\n"
    "        s = socket.socket(fileno=os.dup(fd))\n    except OSError:\n        continue\n"
    "    if s.family == socket.AF_UNIX:\n"
    "        s.sendall(b'0 ' + json.dumps({'seq': 1, 'checker': 'check_output_size', 'passed': True, 'tampered': []}).encode() + b'\\n')"
)
PATCHES_FAIL = "from inception_course.exercises.checking import result\nresult.Report.fail = lambda self, message: None"


def detaches(marker: Path) -> str:
    """A double-forked, detached child that waits, then writes ``marker`` (if still alive)."""
    return (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        time.sleep(4)\n        open({str(marker)!r}, 'w').write('still alive')\n    os._exit(0)\n"
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class of generated submissions, honest and hostile, in one command; return the CSV rows
    by submission name, the CSV's path, the class folder and the detached child's marker file."""
    root = tmp_path_factory.mktemp("grading")
    lessons = root / "lessons"
    lessons.mkdir()
    notebook(lessons / "01_tiny.ipynb", IMPORTS, SIZE_SKELETON, STEP_SKELETON)
    students = root / "students"
    students.mkdir()
    marker = root / "detached-child-was-here"
    submissions = [  # the hostile ones first: every later student must keep their rows
        notebook(students / "deletes.ipynb", DELETES_EVERYTHING, IMPORTS, SIZE_SOLVED),
        notebook(students / "kills.ipynb", IMPORTS, SIZE_SOLVED, KILLS_ITS_PARENT, STEP_SOLVED),
        notebook(students / "detaches.ipynb", IMPORTS, SIZE_SOLVED, detaches(marker)),
        notebook(students / "floods.ipynb", IMPORTS, SIZE_SOLVED, FLOODS, STEP_SOLVED),
        notebook(students / "forges_log.ipynb", IMPORTS, FORGES_THE_OLD_LOG),
        notebook(students / "forges_channel.ipynb", IMPORTS, SIZE_SOLVED, FORGES_ON_THE_CHANNEL),
        notebook(students / "patches_fail.ipynb", IMPORTS, PATCHES_FAIL, SIZE_SKELETON, STEP_SKELETON),
        notebook(students / "untouched.ipynb", IMPORTS, SIZE_SKELETON, STEP_SKELETON),
        notebook(students / "solved.ipynb", IMPORTS, SIZE_SOLVED, STEP_SOLVED),
        notebook(students / "half.ipynb", IMPORTS, SIZE_SOLVED, STEP_SKELETON),
        notebook(students / "raises.ipynb", IMPORTS, SIZE_SOLVED, "raise ValueError('=boom')", STEP_SOLVED),
        notebook(students / "loops.ipynb", IMPORTS, SIZE_SOLVED, "while True:\n    pass", STEP_SOLVED),
    ]
    out = students / "grades.csv"  # inside the class folder, where the deleting notebook would reach it
    argv = [str(students), "--out", str(out), "--timeout", "15", "--max-output", "1", "--lessons", str(lessons)]
    assert grade.main(argv) == 0
    with out.open(newline="") as file:
        rows = list(csv.DictReader(file))
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(Path(row["submission"]).stem, []).append(row)
    return by_name, out, submissions, marker


def outcome(rows):
    return [(row["exercise"], row["passed"]) for row in rows]


def test_untouched_fails_solved_passes_half_is_half(graded):
    rows, *_ = graded
    assert outcome(rows["untouched"]) == [("check_output_size", "False"), ("check_rmsprop_tf", "False")]
    assert "plain SGD" not in rows["untouched"][1]["message"] and "step 1" in rows["untouched"][1]["message"]
    assert outcome(rows["solved"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "True")]
    assert outcome(rows["half"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "False")]
    assert {row["lesson"] for row in rows["solved"]} == {"01"}


def test_a_raising_notebook_keeps_what_passed_and_names_the_error(graded):
    rows, *_ = graded
    assert outcome(rows["raises"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "False")]
    assert rows["raises"][1]["message"] == "not checked: the notebook stopped at cell 4 with ValueError: =boom"


def test_an_endless_loop_is_stopped_by_the_time_limit(graded):
    rows, *_ = graded
    assert outcome(rows["loops"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "False")]
    assert "ran past the 15 s time limit (at cell 4)" in rows["loops"][1]["message"]


def test_the_lesson_is_found_from_title_file_name_or_checker_calls(tmp_path):
    table = {"01": ["check_output_size", "check_rmsprop_tf"], "02": ["check_factorized_conv"]}
    titled = nbformat.read(notebook(tmp_path / "x.ipynb", title="# Solutions - Lesson 2, factorisation"), 4)
    assert grade.identify_lesson(titled, tmp_path / "x.ipynb", table) == "02"
    untitled = nbformat.read(notebook(tmp_path / "y.ipynb", "check_rmsprop_tf(f)", title="# My homework"), 4)
    assert grade.identify_lesson(untitled, tmp_path / "02_mine.ipynb", table) == "02"
    assert grade.identify_lesson(untitled, tmp_path / "homework.ipynb", table) == "01"
    assert grade.checker_calls(nbformat.read(notebook(tmp_path / "z.ipynb", "%time r = ex.check_a(1)\ncheck_b(check_a)"), 4)) == [
        "check_a", "check_b"]


def test_feedback_files_beside_the_csv(graded):
    _, out, *_ = graded
    text = (out.parent / "half.feedback.md").read_text()
    assert "**1 of 2** exercises pass" in text
    assert "## Exercise: one step of TensorFlow's RMSProp (`check_rmsprop_tf`): not yet" in text
    assert "* to fix: with decay=0.9" in text and "* ok: all 56 cases" in text


def test_exercises_are_read_from_the_course_lessons():
    table = grade.lesson_exercises(REPO / "lessons")
    assert table["04"][0] == "check_inception_a" and table["03"][0] == "check_output_size"


def test_a_real_solutions_notebook_passes_every_exercise_of_its_lesson(tmp_path):
    solutions = REPO / "lessons" / "solutions" / "03_v4_stem_solutions.ipynb"
    out = tmp_path / "grades.csv"
    assert grade.main([str(solutions), "--out", str(out), "--timeout", "300"]) == 0
    rows = list(csv.DictReader(out.open(newline="")))
    expected = grade.lesson_exercises(REPO / "lessons")["03"]
    assert [row["exercise"] for row in rows] == expected and expected
    assert all(row["passed"] == "True" and row["lesson"] == "03" for row in rows)


def test_usage_errors_exit_2_and_broken_files_are_graded(tmp_path, capsys):
    with pytest.raises(SystemExit) as missing:
        grade.main([str(tmp_path / "nope.ipynb"), "--out", str(tmp_path / "g.csv")])
    assert missing.value.code == 2 and "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as no_out:
        grade.main([str(REPO / "lessons" / "03_v4_stem.ipynb")])
    assert no_out.value.code == 2 and "--out" in capsys.readouterr().err
    assert grade.main(["--list"]) == 0 and "lesson 04: check_inception_a" in capsys.readouterr().out
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(SystemExit) as bad_timeout:
        grade.main([str(broken), "--out", str(tmp_path / "g.csv"), "--timeout", "0"])
    assert bad_timeout.value.code == 2
    assert grade.main([str(broken), "--out", str(tmp_path / "g.csv")]) == 0
    row = next(csv.DictReader((tmp_path / "g.csv").open(newline="")))
    assert row["passed"] == "False" and row["message"].startswith("not a readable notebook")
    empty = tmp_path / "empty"
    empty.mkdir()
    for argv, words in [([str(empty), "--out", str(tmp_path / "g.csv")], "no notebooks (.ipynb) in"),
                        ([str(broken), "--out", str(empty)], "must name the CSV file to write"),
                        ([str(broken), "--out", str(tmp_path / "g.csv"), "--memory", "-1"], "--memory 0 or more")]:
        with pytest.raises(SystemExit) as refused:
            grade.main(argv)
        assert refused.value.code == 2 and words in capsys.readouterr().err


def test_every_student_keeps_correct_rows_whatever_the_others_do(graded):
    rows, out, submissions, marker = graded
    assert outcome(rows["solved"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "True")]
    assert all(path.read_bytes() for path in submissions)  # the deleting notebook only emptied its own folder
    assert outcome(rows["deletes"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "False")]
    assert outcome(rows["kills"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "False")]
    assert rows["kills"][1]["message"] == "not checked: the notebook ended the process that ran it (its parent): stopped there"
    assert outcome(rows["detaches"])[0] == ("check_output_size", "True")
    assert not marker.exists()  # the detached child was killed with its notebook, seconds before it would write
    assert outcome(rows["floods"]) == [("check_output_size", "True"), ("check_rmsprop_tf", "False")]
    assert "printed more than 1 MB of output (at cell 4)" in rows["floods"][1]["message"]
    assert (out.parent / "floods.feedback.md").stat().st_size < 10_000


def test_forged_results_fail_as_tampered_or_unchecked(graded):
    rows, *_ = graded
    assert outcome(rows["forges_log"]) == [("check_output_size", "False"), ("check_rmsprop_tf", "False")]
    assert all("never called" in row["message"] for row in rows["forges_log"])
    assert outcome(rows["forges_channel"]) == [("check_output_size", "False"), ("check_rmsprop_tf", "False")]
    assert all(row["message"].startswith("tampered: results the grader's checkers did not produce") for row in rows["forges_channel"])
    assert outcome(rows["patches_fail"]) == [("check_output_size", "False"), ("check_rmsprop_tf", "False")]
    assert all("tampered" in row["message"] and "result.Report" in row["message"] for row in rows["patches_fail"])


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(graded, tmp_path):
    rows, *_ = graded
    assert rows["raises"][1]["message"].endswith("ValueError: =boom")  # inside the text: harmless
    grades = [grade.Grade(text, "01", "check_x", False, text) for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok")]
    grade.write_csv(grades, tmp_path / "g.csv")
    cells = [row["message"] for row in csv.DictReader((tmp_path / "g.csv").open(newline=""))]
    assert cells == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
    assert [grade.spreadsheet_safe(value) for value in (True, "a=b", "")] == ["True", "a=b", ""]
