"""The workflow diagram (SVG drawn on the server): every step and transition is on it, returns run
underneath, the dissatisfied callback's re-opening is dashed, and a broken definition still draws."""

import re

from kefu.workorders.defaults import COMPLAINT, INQUIRY
from kefu.workorders.diagram import render_svg
from kefu.workorders.workflow import parse


def _steps(svg: str) -> list[str]:
    return re.findall(r'data-step="([^"]+)"', svg)


def test_every_step_and_transition_is_drawn():
    definition = parse(COMPLAINT)
    svg = render_svg(definition, reopen_label="不满意", title="投诉处理流程")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert _steps(svg) == [s.code for s in definition.steps]
    for t in definition.transitions:
        assert t.name in svg
    assert svg.count('class="edge back"') == 3  # the three returns, under the boxes
    assert svg.count('class="edge reopen"') == 1 and "不满意" in svg  # callback → handle
    assert 'class="step final"' in svg and 'class="step initial"' in svg


def test_final_steps_come_last_and_texts_are_escaped():
    data = {
        **INQUIRY,
        "steps": [{**INQUIRY["steps"][0], "name": "受理 <急>"}, *INQUIRY["steps"][1:]],
    }
    svg = render_svg(parse(data))
    assert "受理 &lt;急&gt;" in svg and "<急>" not in svg
    x = {code: float(v) for code, v in re.findall(r'data-step="([^"]+)"><title>[^<]*</title><rect x="([\d.]+)"', svg)}
    assert x["closed"] > x["answer"] > x["accept"]


def test_a_definition_with_problems_still_draws():
    data = {
        "initial": "a",
        "steps": [
            {"code": "a", "name": "A", "roles": ["agent"]},
            {"code": "lost", "name": "Lost", "roles": ["agent"]},
            {"code": "end", "name": "End", "final": True},
        ],
        "transitions": [{"code": "go", "name": "Go", "from": "a", "to": "end"}],
    }
    definition = parse(data)
    assert {p.kind for p in definition.problems()} >= {"unreachable", "dead_end"}
    assert _steps(render_svg(definition)) == ["a", "lost", "end"]
