"""`kefu simulate`: a day of a contact centre from its configuration (kefu.routing.simulator), written as
call records like live ones; or `--offer NUMBER`: one call offered to the running router (demo, desktop)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.contact.models import Agent, Contact, ContactCentre, Direction, Outcome, SkillGroup
from kefu.customers.models import Channel, Subscriber
from kefu.routing.simulator import AgentModel, Exponential, GroupModel, simulate
from kefu.workforce import erlang

OUTCOMES = {
    "answered": Outcome.ANSWERED,
    "abandoned": Outcome.ABANDONED,
    "callback": Outcome.CALLBACK,
    "waiting": Outcome.QUEUED,
}


def records_to_contacts(centre: ContactCentre, result, start: dt.datetime, agents: dict, prefix: str) -> list[Contact]:
    """The simulator's call records as the router writes them (one Contact per call, leg 1)."""
    regions = dict(SkillGroup.objects.filter(centre=centre).values_list("code", "region_id"))
    users = dict(Agent.objects.filter(centre=centre).values_list("code", "user_id"))
    contacts = []
    for r in result.records:
        at = lambda seconds: start + dt.timedelta(seconds=seconds) if seconds is not None else None  # noqa: E731
        ended = r.ended_at if r.outcome == "answered" else r.abandoned_at
        contacts.append(
            Contact(
                centre=centre,
                call_id=f"{prefix}.{r.call_id}",
                leg=1,
                channel=Channel.HOTLINE,
                direction=Direction.INBOUND,
                started_at=at(r.offered_at),
                answered_at=at(r.answered_at),
                ended_at=at(ended),
                agent_id=users.get(agents.get(r.agent)) if r.agent else None,
                queue=r.group,
                tier=r.tier,
                region_id=regions.get(r.group) or centre.region_id,
                outcome=OUTCOMES[r.outcome],
                details={"served_by": r.queue, "simulated": True} if r.queue else {"simulated": True},
            )
        )
    return contacts


class Command(BaseCommand):
    help = gettext_lazy("Simulate calls of a contact centre and write them as call records, or offer one call.")

    def add_arguments(self, parser):
        parser.add_argument("--centre", required=True)
        parser.add_argument("--hours", type=float, default=8.0, help=gettext_lazy("Length of the simulated period."))
        parser.add_argument("--start", default=None, help=gettext_lazy("Start, YYYY-MM-DDTHH:MM (default: now)."))
        parser.add_argument("--calls-per-hour", type=float, default=None, help=gettext_lazy("Per skill group."))
        parser.add_argument("--patience", type=float, default=None, help=gettext_lazy("Mean patience in seconds."))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("Print the figures, write nothing."))
        parser.add_argument("--offer", metavar="NUMBER", help=gettext_lazy("Offer one call from this number now."))
        parser.add_argument("--group", help=gettext_lazy("Skill group of the offered call."))

    def handle(self, *args, centre, hours, start, calls_per_hour, patience, seed, dry_run, offer, group, **options):
        centre_obj = ContactCentre.objects.filter(code=centre).first()
        if centre_obj is None:
            raise CommandError(_("No contact centre with the code %(code)s.") % {"code": centre})
        if offer:
            return self._offer(centre_obj, offer, group)
        groups = list(SkillGroup.objects.filter(centre=centre_obj, active=True).prefetch_related("overflow_to"))
        agents = list(Agent.objects.filter(centre=centre_obj, active=True).prefetch_related("skills__group"))
        if not groups or not agents:
            raise CommandError(_("The centre needs active skill groups and agents."))
        models = []
        for g in groups:
            staffed = sum(1 for a in agents if any(s.group_id == g.pk for s in a.skills.all()))
            # default traffic: what the group's agents carry at about 80 % occupancy
            rate = calls_per_hour if calls_per_hour is not None else 0.8 * staffed * 3600 / g.aht
            models.append(
                GroupModel(
                    id=g.code,
                    profile=[rate / 2],
                    handle=Exponential(g.aht),
                    patience=Exponential(patience) if patience else None,
                    overflow_to=[x.code for x in g.overflow_to.all()],
                    overflow_after=g.overflow_after,
                    callback_threshold=g.callback_threshold,
                )
            )
        agent_models = [
            AgentModel(id=a.code, skills={s.group.code: s.level for s in a.skills.all() if s.group.active})
            for a in agents
            if any(s.group.active for s in a.skills.all())
        ]
        result = simulate(models, agent_models, hours * 3600, seed=seed)
        for g in groups:
            offered = sum(1 for r in result.records if r.group == g.code)
            staffed = sum(1 for a in agent_models if g.code in a.skills)
            sl = result.service_level(centre_obj.service_level_seconds, group=g.code)
            model = next(m for m in models if m.id == g.code)
            theory = erlang.service_level(
                erlang.traffic(model.profile[0], g.aht), staffed, g.aht, centre_obj.service_level_seconds
            )
            self.stdout.write(
                _("%(group)s: %(offered)d calls, service level %(sl).1f %% (Erlang C %(theory).1f %%)")
                % {"group": g.code, "offered": offered, "sl": 100 * sl, "theory": 100 * theory}
            )
        if dry_run:
            return
        begin = dt.datetime.fromisoformat(start) if start else timezone.now()
        if timezone.is_naive(begin):
            begin = timezone.make_aware(begin)
        prefix = f"sim{seed}-{uuid.uuid4().hex[:6]}"
        contacts = records_to_contacts(centre_obj, result, begin, {a.id: a.id for a in agent_models}, prefix)
        with transaction.atomic():
            Contact.objects.bulk_create(contacts, batch_size=2000)
        self.stdout.write(_("%(n)d call records written.") % {"n": len(contacts)})

    def _offer(self, centre: ContactCentre, number: str, group: str | None) -> None:
        from kefu.contact import services
        from kefu.core.models import User

        switch = User.objects.filter(groups__name="switch", is_active=True).first()
        if switch is None:
            raise CommandError(_("Create a staff account with the role switch first."))
        group = group or SkillGroup.objects.filter(centre=centre, active=True).values_list("code", flat=True).first()
        call = f"sim-{uuid.uuid4().hex[:12]}"
        result = services.submit_one(
            switch, centre, {"type": "call.offered", "call": call, "group": group, "caller": number}
        )
        known = Subscriber.objects.filter(msisdn=number).exists()
        for message in result["messages"]:
            self.stdout.write(f"{message['type']} {message.get('agent') or message.get('group') or ''}")
        self.stdout.write(_("Call %(call)s offered (%(known)s).") % {"call": call, "known": known})
