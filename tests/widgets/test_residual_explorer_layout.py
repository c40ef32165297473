"""What a browser showed wrong in the residual-vs-plain explorer (issue 22): the Train button
squeezed by its status, the toggles' labels on a line of their own, a browser error when the
run list shrinks, and a button's training whose progress went nowhere a student could see."""

import ipywidgets as widgets

from inception_course.widgets import residual, residual_vs_plain_explorer

from test_residual_explorer import results, write_run  # noqa: F401 - the fixture (pytest puts tests/widgets on the path)


def test_switching_to_a_pair_with_fewer_entries_sends_options_and_selection_together(results, tmp_path):  # noqa: F811
    write_run(results, "v3_vs_ir_v1-inception_v3-s1", "inception_v3", seed=1)
    write_run(results, "v3_vs_ir_v1-inception_resnet_v1-s1", "inception_resnet_v1", seed=1, device="cpu")
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    assert len(explorer.runs.options) > 1
    sent = []
    explorer.runs.send_state = lambda key=None: sent.append(set(key) if key is not None else None)
    explorer.pair.value = "v4_vs_ir_v2"
    assert len(explorer.runs.options) == 1 and explorer.runs.value == (explorer.runs.options[0][1],)
    # one message to the browser carrying the new options and the new selection, not two
    assert len(sent) == 1 and {"_options_labels", "index"} <= sent[0]


def test_the_button_keeps_its_width_and_the_toggles_their_labels_beside_them(results, tmp_path):  # noqa: F811
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    layout = explorer.run_button.layout
    assert layout.min_width == layout.width and layout.flex == "0 0 auto"
    rows = [child for child in explorer.children if isinstance(child, widgets.HBox)]
    labelled = {row.children[0].value: row.children[1] for row in rows if isinstance(row.children[0], widgets.Label)}
    assert labelled == {"x axis": explorer.x_axis, "metric": explorer.metric}
    assert explorer.x_axis.description == explorer.metric.description == ""


class WatchedOutput(widgets.Output):
    """An Output that knows whether printed text is being captured into it right now."""

    capturing = False

    def __enter__(self):
        self.capturing = True
        return super().__enter__()

    def __exit__(self, *exc):
        self.capturing = False
        return super().__exit__(*exc)


def test_the_buttons_training_prints_its_progress_into_the_widget(results, tmp_path, monkeypatch):  # noqa: F811
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    explorer.output = WatchedOutput()
    seen = []
    monkeypatch.setattr(residual, "run_pair", lambda *args, **kwargs: seen.append(explorer.output.capturing) or [])
    explorer.run_button.click()
    assert seen == [True]  # in the widget's output, not the log console a student never opens
