"""The workflow engine (WO-2): a workflow is data — steps, who acts at each, transitions, time limits.

Pure Python (no Django import): parsing a definition, validating it (unreachable steps, dead ends)
and answering what may happen at a step. The services turn problems into translated messages and
store definitions as immutable published versions.

A definition is a JSON object::

    {
      "initial": "accept",
      "steps": [
        {"code": "accept", "name": "受理", "name_en": "Accept", "roles": ["agent"], "skill_group": "",
         "region": "accepting", "hours": 2},
        {"code": "handle", "name": "处理", "name_en": "Handle", "roles": ["backoffice"], "region": "handling",
         "hours": 16, "handling": true},
        {"code": "closed", "name": "结案", "name_en": "Closed", "final": true}
      ],
      "transitions": [
        {"code": "submit", "name": "提交", "name_en": "Submit", "from": "accept", "to": "handle"},
        {"code": "close", "name": "结案", "name_en": "Close", "from": "handle", "to": "closed",
         "required": ["result"]}
      ]
    }

`region` says whose staff act at the step: the handling region's (the customer's home city) or the
accepting region's (where the customer came in). `handling` marks the step a dissatisfied callback
re-opens to; `callback` marks the customer callback step (回访).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

REGION_RULES = ("handling", "accepting")
_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# Fields a transition may ask for that the engine itself understands; any other slug is kept as data.
KNOWN_FIELDS = ("result", "root_cause", "satisfaction", "reason", "handler", "handling_region", "opinion")


class DefinitionError(ValueError):
    """The definition is malformed (a missing key, a wrong type): `path` names the place."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Problem:
    """A reason a well-formed definition cannot be published; `subject` lists the steps/transitions named."""

    kind: str  # unreachable | dead_end | no_exit | no_final | no_actor | callback_without_handling | ...
    subject: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepDef:
    code: str
    name: str
    name_en: str = ""
    roles: tuple[str, ...] = ()
    skill_group: str = ""
    region: str = "handling"
    hours: float = 0.0
    final: bool = False
    handling: bool = False
    callback: bool = False

    @property
    def queue(self) -> str:
        """The group whose queue shows orders waiting at this step."""
        return self.skill_group or (self.roles[0] if self.roles else "")

    def to_dict(self) -> dict:
        data: dict = {"code": self.code, "name": self.name, "name_en": self.name_en}
        if self.final:
            data["final"] = True
            return data
        data.update(
            {"roles": list(self.roles), "skill_group": self.skill_group, "region": self.region, "hours": self.hours}
        )
        if self.handling:
            data["handling"] = True
        if self.callback:
            data["callback"] = True
        return data


@dataclass(frozen=True)
class TransitionDef:
    code: str
    name: str
    source: str
    target: str
    name_en: str = ""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "from": self.source,
            "to": self.target,
            "required": list(self.required),
            "optional": list(self.optional),
        }


@dataclass(frozen=True)
class WorkflowDef:
    initial: str
    steps: tuple[StepDef, ...]
    transitions: tuple[TransitionDef, ...]
    _by_code: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._by_code.update({s.code: s for s in self.steps})

    # -- reading ---------------------------------------------------------------------------------
    def step(self, code: str) -> StepDef:
        return self._by_code[code]

    def has_step(self, code: str) -> bool:
        return code in self._by_code

    def transitions_from(self, code: str) -> list[TransitionDef]:
        return [t for t in self.transitions if t.source == code]

    def transition(self, source: str, code: str) -> TransitionDef | None:
        return next((t for t in self.transitions if t.source == source and t.code == code), None)

    @property
    def final_steps(self) -> list[StepDef]:
        return [s for s in self.steps if s.final]

    @property
    def handling_step(self) -> StepDef | None:
        return next((s for s in self.steps if s.handling), None)

    def closing_transitions(self, source: str) -> list[TransitionDef]:
        """Transitions from `source` straight into a final step."""
        return [t for t in self.transitions_from(source) if self.has_step(t.target) and self.step(t.target).final]

    # -- validation ------------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Everything that stops this definition from being published; empty when it is sound."""
        found: list[Problem] = []
        codes = [s.code for s in self.steps]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            found.append(Problem("duplicate_step", tuple(duplicates)))
        if not self.has_step(self.initial):
            found.append(Problem("no_initial", (self.initial,)))
            return found
        if self.step(self.initial).final:
            found.append(Problem("initial_is_final", (self.initial,)))
        if not self.final_steps:
            found.append(Problem("no_final"))
        unknown = sorted(
            {
                f"{t.source}->{t.target}"
                for t in self.transitions
                if not (self.has_step(t.source) and self.has_step(t.target))
            }
        )
        if unknown:
            found.append(Problem("unknown_step_in_transition", tuple(unknown)))
            return found
        pairs = [(t.source, t.code) for t in self.transitions]
        repeated = sorted({f"{s}:{c}" for s, c in pairs if pairs.count((s, c)) > 1})
        if repeated:
            found.append(Problem("duplicate_transition", tuple(repeated)))
        out_of_final = sorted({t.source for t in self.transitions if self.step(t.source).final})
        if out_of_final:
            found.append(Problem("transition_from_final", tuple(out_of_final)))
        reachable = self._reachable_from(self.initial)
        unreachable = tuple(s.code for s in self.steps if s.code not in reachable)
        if unreachable:
            found.append(Problem("unreachable", unreachable))
        dead_ends = tuple(s.code for s in self.steps if not s.final and not self.transitions_from(s.code))
        if dead_ends:
            found.append(Problem("dead_end", dead_ends))
        # A step with a way out that can never reach a final step traps its orders in a loop.
        finishing = self._reaching_final()
        trapped = tuple(
            s.code for s in self.steps if not s.final and s.code not in dead_ends and s.code not in finishing
        )
        if trapped:
            found.append(Problem("no_exit", trapped))
        actorless = tuple(s.code for s in self.steps if not s.final and not s.roles and not s.skill_group)
        if actorless:
            found.append(Problem("no_actor", actorless))
        bad_region = tuple(s.code for s in self.steps if not s.final and s.region not in REGION_RULES)
        if bad_region:
            found.append(Problem("bad_region_rule", bad_region))
        callbacks = [s for s in self.steps if s.callback]
        if callbacks:
            if self.handling_step is None:
                found.append(Problem("callback_without_handling", tuple(s.code for s in callbacks)))
            no_close = tuple(s.code for s in callbacks if not self.closing_transitions(s.code))
            if no_close:
                found.append(Problem("callback_without_close", no_close))
        handling = [s.code for s in self.steps if s.handling]
        if len(handling) > 1:
            found.append(Problem("several_handling_steps", tuple(handling)))
        return found

    def _reachable_from(self, start: str) -> set[str]:
        seen = {start}
        todo = deque([start])
        while todo:
            for t in self.transitions_from(todo.popleft()):
                if t.target not in seen:
                    seen.add(t.target)
                    todo.append(t.target)
        # A dissatisfied callback re-opens to the handling step: that edge is implicit.
        if any(self.step(c).callback for c in seen if self.has_step(c)) and self.handling_step is not None:
            if self.handling_step.code not in seen:
                seen |= self._reachable_from(self.handling_step.code)
        return seen

    def _reaching_final(self) -> set[str]:
        reaching = {s.code for s in self.steps if s.final}
        changed = True
        while changed:
            changed = False
            for t in self.transitions:
                if t.target in reaching and t.source not in reaching:
                    reaching.add(t.source)
                    changed = True
        return reaching

    # -- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "initial": self.initial,
            "steps": [s.to_dict() for s in self.steps],
            "transitions": [t.to_dict() for t in self.transitions],
        }

    def mermaid(self) -> str:
        """The workflow drawn as a Mermaid flowchart (the editor page renders it as a diagram)."""
        lines = ["flowchart LR"]
        for s in self.steps:
            label = s.name + (f" / {s.name_en}" if s.name_en else "")
            lines.append(f'  {_node(s.code)}{"(((" if s.final else "["}"{label}"{")))" if s.final else "]"}')
        for t in self.transitions:
            lines.append(f'  {_node(t.source)} -->|"{t.name}"| {_node(t.target)}')
        handling = self.handling_step
        for s in self.steps:
            if s.callback and handling is not None:
                lines.append(f'  {_node(s.code)} -.->|"dissatisfied"| {_node(handling.code)}')
        return "\n".join(lines)


def _node(code: str) -> str:
    return "s_" + code.replace("-", "_")


def parse(data) -> WorkflowDef:
    """A WorkflowDef from its JSON form; DefinitionError names the first malformed place."""
    if not isinstance(data, dict):
        raise DefinitionError("definition", "must be an object")
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise DefinitionError("steps", "must be a non-empty list")
    steps = tuple(_parse_step(i, s) for i, s in enumerate(steps_data))
    transitions_data = data.get("transitions", [])
    if not isinstance(transitions_data, list):
        raise DefinitionError("transitions", "must be a list")
    transitions = tuple(_parse_transition(i, t) for i, t in enumerate(transitions_data))
    initial = data.get("initial", steps[0].code)
    if not isinstance(initial, str):
        raise DefinitionError("initial", "must be a step code")
    return WorkflowDef(initial=initial, steps=steps, transitions=transitions)


def _text(obj: dict, key: str, path: str, required: bool = True, default: str = "") -> str:
    value = obj.get(key, None)
    if value is None:
        if required:
            raise DefinitionError(f"{path}.{key}", "is required")
        return default
    if not isinstance(value, str):
        raise DefinitionError(f"{path}.{key}", "must be text")
    return value.strip()


def _code(obj: dict, key: str, path: str) -> str:
    value = _text(obj, key, path)
    if not _CODE.match(value):
        raise DefinitionError(f"{path}.{key}", "must be a code of lower-case letters, digits, - and _")
    return value


def _codes(obj: dict, key: str, path: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and _CODE.match(v) for v in value):
        raise DefinitionError(f"{path}.{key}", "must be a list of codes")
    return tuple(dict.fromkeys(value))


def _flag(obj: dict, key: str, path: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise DefinitionError(f"{path}.{key}", "must be true or false")
    return value


def _parse_step(index: int, obj) -> StepDef:
    path = f"steps[{index}]"
    if not isinstance(obj, dict):
        raise DefinitionError(path, "must be an object")
    hours = obj.get("hours", 0)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0 or hours > 24 * 365:
        raise DefinitionError(f"{path}.hours", "must be a number of hours between 0 and 8760")
    region = _text(obj, "region", path, required=False, default="handling")
    if region not in REGION_RULES:
        raise DefinitionError(f"{path}.region", "must be 'handling' or 'accepting'")
    skill_group = _text(obj, "skill_group", path, required=False)
    if skill_group and not _CODE.match(skill_group):
        raise DefinitionError(f"{path}.skill_group", "must be a code")
    return StepDef(
        code=_code(obj, "code", path),
        name=_text(obj, "name", path),
        name_en=_text(obj, "name_en", path, required=False),
        roles=_codes(obj, "roles", path),
        skill_group=skill_group,
        region=region,
        hours=float(hours),
        final=_flag(obj, "final", path),
        handling=_flag(obj, "handling", path),
        callback=_flag(obj, "callback", path),
    )


def _parse_transition(index: int, obj) -> TransitionDef:
    path = f"transitions[{index}]"
    if not isinstance(obj, dict):
        raise DefinitionError(path, "must be an object")
    required = _codes(obj, "required", path)
    optional = tuple(f for f in _codes(obj, "optional", path) if f not in required)
    return TransitionDef(
        code=_code(obj, "code", path),
        name=_text(obj, "name", path),
        name_en=_text(obj, "name_en", path, required=False),
        source=_code(obj, "from", path),
        target=_code(obj, "to", path),
        required=required,
        optional=optional,
    )


def missing_fields(transition: TransitionDef, given: dict, known: dict | None = None) -> list[str]:
    """The required fields of `transition` that are neither in `given` nor already `known` on the order."""
    known = known or {}

    def present(name: str) -> bool:
        value = given.get(name, known.get(name))
        return value is not None and (not isinstance(value, str) or value.strip() != "")

    return [name for name in transition.required if not present(name)]
