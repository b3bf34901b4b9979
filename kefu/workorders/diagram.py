"""A workflow drawn as an SVG diagram, server-side (pure Python: no Django, no JavaScript).

The editor page shows every version this way. Layout: steps in columns by their distance from the
first step (breadth-first), in definition order within a column; transitions to a later column are
arrows left to right (skipping columns: an arc over the top), transitions back (returns, re-opening)
arcs under the boxes, a transition to its own step a loop above it. Parallel transitions between the
same two steps share one arrow with their names joined.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from xml.sax.saxutils import escape

from kefu.workorders.workflow import StepDef, WorkflowDef

BOX_W, BOX_H = 172, 62
COL_GAP, ROW_GAP = 100, 46
MARGIN = 24
FONT = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif"


@dataclass
class _Box:
    step: StepDef
    col: int
    row: int
    x: float = 0.0
    y: float = 0.0

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


def _columns(definition: WorkflowDef) -> dict[str, int]:
    """Breadth-first distance of each step from the first step; unreachable steps go last."""
    codes = [s.code for s in definition.steps]
    col: dict[str, int] = {}
    if definition.has_step(definition.initial):
        col[definition.initial] = 0
        todo = deque([definition.initial])
        while todo:
            code = todo.popleft()
            for t in definition.transitions_from(code):
                if t.target not in col and definition.has_step(t.target):
                    col[t.target] = col[code] + 1
                    todo.append(t.target)
    last = max(col.values(), default=-1) + 1
    for code in codes:
        col.setdefault(code, last)
    # final steps end the picture: one column after every other step
    finals = {s.code for s in definition.steps if s.final}
    if finals and len(finals) < len(col):
        end = max(c for code, c in col.items() if code not in finals) + 1
        for code in finals:
            col[code] = end
    return col


def _text_width(text: str, size: float) -> float:
    return sum(size if ord(ch) > 0x2E80 else size * 0.56 for ch in text)


def _label(x: float, y: float, text: str, cls: str = "label") -> str:
    width = _text_width(text, 12) + 8
    return (
        f'<rect class="label-bg" x="{x - width / 2:.1f}" y="{y - 9:.1f}" width="{width:.1f}" height="17" rx="3"/>'
        f'<text class="{cls}" x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{escape(text)}</text>'
    )


def _fit(text: str, size: float, width: float) -> str:
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def render_svg(
    definition: WorkflowDef,
    *,
    reopen_label: str = "dissatisfied",
    hours_label: str = "%(hours)s h",
    title: str = "",
) -> str:
    """The workflow as a standalone <svg> element (inline it in a page, or serve it as image/svg+xml)."""
    col = _columns(definition)
    boxes: dict[str, _Box] = {}
    rows_in: dict[int, int] = {}
    for step in definition.steps:
        if step.code in boxes:  # a duplicated code (the check reports it): draw it once
            continue
        c = col[step.code]
        boxes[step.code] = _Box(step, c, rows_in.get(c, 0))
        rows_in[c] = rows_in.get(c, 0) + 1
    max_rows = max(rows_in.values(), default=1)

    # edges: (source, target) → names; the implicit re-opening edge of a callback step is dashed
    edges: dict[tuple[str, str], list[str]] = {}
    for t in definition.transitions:
        if t.source in boxes and t.target in boxes:
            names = edges.setdefault((t.source, t.target), [])
            if t.name not in names:
                names.append(t.name)
    dashed: set[tuple[str, str]] = set()
    handling = definition.handling_step
    if handling is not None and handling.code in boxes:
        for s in definition.steps:
            if s.callback and s.code in boxes:
                key = (s.code, handling.code)
                edges.setdefault(key, []).append(reopen_label)
                dashed.add(key)

    # vertical room: loops above, skipping arcs above, returns below
    forward_skips = [(a, b) for (a, b) in edges if a != b and col[b] - col[a] > 1]
    backs = sorted(
        [(a, b) for (a, b) in edges if col[b] < col[a]],
        key=lambda e: (abs(col[e[0]] - col[e[1]]), col[e[1]]),
    )
    has_loop = any(a == b for (a, b) in edges)
    top_room = 40 + (14 * len(forward_skips) if forward_skips else 0) + (20 if has_loop else 0)
    bottom_room = 30 + 24 * len(backs)
    if title:
        top_room += 24
    for box in boxes.values():
        offset = (max_rows - rows_in[box.col]) * (BOX_H + ROW_GAP) / 2
        box.x = MARGIN + box.col * (BOX_W + COL_GAP)
        box.y = top_room + offset + box.row * (BOX_H + ROW_GAP)
    columns = max(col.values(), default=0) + 1
    width = MARGIN * 2 + columns * BOX_W + (columns - 1) * COL_GAP
    content_bottom = top_room + max_rows * BOX_H + (max_rows - 1) * ROW_GAP
    height = content_bottom + bottom_room

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title or "workflow")}">',
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#44546a"/></marker>'
        "</defs>",
        "<style>"
        f"text{{font-family:{FONT};fill:#1f2933}}"
        ".name{font-size:14px;font-weight:700}.sub{font-size:11px;fill:#6b7785}.label{font-size:12px;fill:#0b4a8b}"
        ".label-bg{fill:#fff;opacity:.9}.edge{fill:none;stroke:#44546a;stroke-width:1.4}"
        ".edge.back{stroke:#b06d00}.edge.reopen{stroke:#b42318;stroke-dasharray:5 4}"
        ".step rect{fill:#f4f8fc;stroke:#0b6bcb;stroke-width:1.4}.step.initial rect{stroke-width:2.6}"
        ".step.final rect{fill:#eef7f0;stroke:#1b6b3a}.step.callback rect{fill:#fff8e6}"
        ".step.handling rect{fill:#eef2ff}"
        "</style>",
    ]
    if title:
        parts.append(f'<text class="name" x="{MARGIN}" y="{MARGIN}">{escape(title)}</text>')

    # edges first, so that boxes cover their ends
    labels: list[str] = []
    skip_index = 0
    for (a, b), names in edges.items():
        src, dst = boxes[a], boxes[b]
        text = " / ".join(names)
        cls = "edge reopen" if (a, b) in dashed else "edge"
        if a == b:
            x1, x2, y = src.x + BOX_W * 0.3, src.x + BOX_W * 0.7, src.y
            parts.append(
                f'<path class="{cls}" d="M{x1:.1f},{y:.1f} C{x1:.1f},{y - 46:.1f} {x2:.1f},{y - 46:.1f} '
                f'{x2:.1f},{y:.1f}" marker-end="url(#arrow)"/>'
            )
            labels.append(_label(src.cx, y - 40, text))
            continue
        span = col[b] - col[a]
        if span == 1:
            x1, y1, x2, y2 = src.x + BOX_W, src.cy, dst.x, dst.cy
            # a return between the same two steps is drawn below: keep this one straight
            parts.append(f'<path class="{cls}" d="M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}" marker-end="url(#arrow)"/>')
            labels.append(_label((x1 + x2) / 2, (y1 + y2) / 2 - 12, text))
        elif span > 1:
            skip_index += 1
            x1, y1, x2, y2 = src.cx + 20, src.y, dst.cx - 20, dst.y
            cy = min(src.y, dst.y) - 30 - 14 * skip_index
            parts.append(
                f'<path class="{cls}" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{cy:.1f} {x2:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" '
                'marker-end="url(#arrow)"/>'
            )
            labels.append(_label((x1 + x2) / 2, cy + 8, text))
        elif span == 0:
            # within a column: a bow to the right, from one box's side to the other's
            x1, y1, x2, y2 = src.x + BOX_W, src.cy, dst.x + BOX_W, dst.cy
            cx = src.x + BOX_W + 46
            parts.append(
                f'<path class="{cls}" d="M{x1:.1f},{y1:.1f} C{cx:.1f},{y1:.1f} {cx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
                'marker-end="url(#arrow)"/>'
            )
            labels.append(_label(x1 + 36, (y1 + y2) / 2, text))
        else:
            index = backs.index((a, b))
            depth = 30 + 24 * index
            into = sum(1 for e in backs[:index] if e[1] == b)
            out = sum(1 for e in backs[:index] if e[0] == a)
            x1, y1 = src.cx - 16 - 14 * out, src.y + BOX_H
            x2, y2 = dst.cx + 16 + 14 * into, dst.y + BOX_H
            cy = content_bottom + depth
            back_cls = cls if (a, b) in dashed else "edge back"
            parts.append(
                f'<path class="{back_cls}" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{cy:.1f} {x2:.1f},{cy:.1f} '
                f'{x2:.1f},{y2:.1f}" marker-end="url(#arrow)"/>'
            )
            labels.append(_label((x1 + x2) / 2, y1 + (cy - y1) * 0.75 + (y2 - y1) * 0.25 + 2, text))

    for code, box in boxes.items():
        s = box.step
        classes = ["step"]
        if code == definition.initial:
            classes.append("initial")
        for flag in ("final", "callback", "handling"):
            if getattr(s, flag):
                classes.append(flag)
        radius = 28 if s.final else 6
        who_full = ", ".join((*s.roles, *([s.skill_group] if s.skill_group else [])))
        parts.append(
            f'<g class="{" ".join(classes)}" data-step="{escape(code)}">'
            f"<title>{escape(' · '.join(x for x in (s.name, s.name_en, s.code, who_full) if x))}</title>"
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="{radius}"/>'
        )
        name = _fit(s.name, 14, BOX_W - 12)
        if s.final:
            parts.append(
                f'<text class="name" x="{box.cx:.1f}" y="{box.cy - 2:.1f}" text-anchor="middle">{escape(name)}</text>'
            )
            if s.name_en:
                parts.append(
                    f'<text class="sub" x="{box.cx:.1f}" y="{box.cy + 14:.1f}" text-anchor="middle">'
                    f"{escape(_fit(s.name_en, 11, BOX_W - 12))}</text>"
                )
        else:
            sub = s.name_en or s.code
            who = ", ".join((*s.roles, *([s.skill_group] if s.skill_group else [])))
            if s.hours:
                hours = f"{s.hours:g}"
                who = f"{who} · {hours_label % {'hours': hours}}" if who else hours_label % {"hours": hours}
            parts.append(
                f'<text class="name" x="{box.cx:.1f}" y="{box.y + 20:.1f}" text-anchor="middle">{escape(name)}</text>'
                f'<text class="sub" x="{box.cx:.1f}" y="{box.y + 36:.1f}" text-anchor="middle">'
                f"{escape(_fit(sub, 11, BOX_W - 12))}</text>"
                f'<text class="sub" x="{box.cx:.1f}" y="{box.y + 52:.1f}" text-anchor="middle">'
                f"{escape(_fit(who, 11, BOX_W - 12))}</text>"
            )
        parts.append("</g>")
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)
