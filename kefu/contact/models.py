"""The contact centre (CC-1..9): every interaction is one `Contact`; skill groups, agents and their
skills configure the router; the router's durable event log, outbox and checkpoints; IVR menus and
sessions; outbound tasks, attempts and the do-not-call list.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.core.models import ChoiceLabels
from kefu.core.scope import ScopedQuerySet
from kefu.customers.models import Channel


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class Outcome(models.TextChoices):
    # set by the router
    QUEUED = "queued", _("Waiting")
    ANSWERED = "answered", _("Answered")
    ABANDONED = "abandoned", _("Abandoned")
    CALLBACK = "callback", _("Callback requested")
    TRANSFERRED = "transferred", _("Transferred")
    SELF_SERVICE = "self_service", _("Self-service (IVR)")
    # set by the agent at wrap-up or by an outbound attempt
    RESOLVED = "resolved", _("Resolved")
    WORK_ORDER = "work_order", _("Work order created")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")


class ContactCentre(models.Model):
    """A contact centre: one router (one routing engine) serves its skill groups."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    auto_answer = models.BooleanField(
        _("auto-answer"), default=False, help_text=_("Agents with headsets: an assigned call is connected at once.")
    )
    service_level_seconds = models.PositiveIntegerField(
        _("service level threshold (s)"), default=20, help_text=_("A call answered within this wait counts as in time.")
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("contact centre")
        verbose_name_plural = _("contact centres")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SkillGroup(models.Model):
    """A skill group (业务组) and its queue, with its routing rules (docs/routing.md)."""

    centre = models.ForeignKey(ContactCentre, verbose_name=_("contact centre"), on_delete=models.PROTECT)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    overflow_to = models.ManyToManyField(
        "self", verbose_name=_("overflow to"), symmetrical=False, blank=True, related_name="overflow_from"
    )
    overflow_after = models.PositiveIntegerField(
        _("overflow after (s)"),
        null=True,
        blank=True,
        help_text=_("Seconds in the queue before the overflow groups may take the call."),
    )
    callback_threshold = models.PositiveIntegerField(
        _("callback offer over (s)"),
        null=True,
        blank=True,
        help_text=_("Offer a callback when the expected wait is longer."),
    )
    aht = models.PositiveIntegerField(
        _("average handle time (s)"),
        default=180,
        validators=[MinValueValidator(1)],
        help_text=_("Starting estimate, for the expected wait."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("skill group")
        verbose_name_plural = _("skill groups")
        ordering = ["centre", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Agent(models.Model):
    """A staff member working at the contact centre under an agent code (工号): the router knows agents
    by this code; the switch rings the extension."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="cc_agent"
    )
    centre = models.ForeignKey(ContactCentre, verbose_name=_("contact centre"), on_delete=models.PROTECT)
    code = models.SlugField(_("agent code"), max_length=40, unique=True)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.user.get_full_name() or self.user.username}"


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="skills")
    group = models.ForeignKey(
        SkillGroup, verbose_name=_("skill group"), on_delete=models.CASCADE, related_name="skills"
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_("1–9, higher is better."),
    )

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [models.UniqueConstraint(fields=["agent", "group"], name="contact_skill_once")]

    def __str__(self) -> str:
        return f"{self.agent.code} {self.group.code} {self.level}"


class WrapUpCode(models.Model):
    """A wrap-up code (话后小结) an agent picks after a call."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("wrap-up code")
        verbose_name_plural = _("wrap-up codes")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Contact(ChoiceLabels, models.Model):
    """One interaction with a customer on any channel (CC-1). A hotline call is written by the router as
    it goes (offered, assigned, answered, ended); a transfer closes one leg and opens the next."""

    subscriber = models.ForeignKey(
        "customers.Subscriber", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL
    )
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    wrap_up = models.CharField(_("wrap-up code"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    recording_ref = models.CharField(_("recording"), max_length=200, blank=True)
    # hotline calls (columns with a database default: bulk loaders may leave them out)
    centre = models.ForeignKey(
        ContactCentre, verbose_name=_("contact centre"), null=True, blank=True, on_delete=models.PROTECT
    )
    call_id = models.CharField(_("call id"), max_length=64, blank=True, default="", db_default="")
    leg = models.PositiveSmallIntegerField(_("leg"), default=1, db_default=1)
    caller = models.CharField(_("calling number"), max_length=20, blank=True, default="", db_default="")
    tier = models.CharField(_("VIP tier"), max_length=12, blank=True, default="", db_default="")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    details = models.JSONField(_("details"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["subscriber", "-started_at"]),
            models.Index(fields=["centre", "started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "call_id", "leg"], condition=~Q(call_id=""), name="contact_call_leg_once"
            )
        ]
        permissions = [
            ("use_desktop", _("Can work at the agent desktop")),
            ("drive_cti", _("Can send CTI events (switch adapters, IVR)")),
            ("listen_recording", _("Can listen to call recordings")),
            ("view_wallboard", _("Can watch the wallboard")),
            ("force_agent_state", _("Can change another agent's state")),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def wait_seconds(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.started_at).total_seconds()


# ---------------------------------------------------------------------------------------- router


class RouterState(models.Model):
    """Where the router of a centre stands: the last logged event, the input read, the outbox."""

    centre = models.OneToOneField(ContactCentre, on_delete=models.CASCADE, primary_key=True, related_name="router")
    log_seq = models.BigIntegerField(default=0)  # last event written to RouterEvent
    input_position = models.CharField(max_length=40, default="0-0")  # last Redis stream id consumed
    out_seq = models.BigIntegerField(default=0)  # last message written to RouterOutbox
    checkpoint_seq = models.BigIntegerField(default=0)  # log_seq of the latest checkpoint
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("router state")
        verbose_name_plural = _("router states")

    def __str__(self) -> str:
        return f"{self.centre_id} @{self.log_seq}"


class RouterEvent(models.Model):
    """The router's event log (append-only): the engine's accepted events in order, JSON form."""

    centre = models.ForeignKey(ContactCentre, on_delete=models.CASCADE)
    seq = models.BigIntegerField()
    data = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "seq"], name="router_event_seq")]

    def __str__(self) -> str:
        return f"{self.seq} {self.data.get('kind')}"


class RouterOutbox(models.Model):
    """Messages the router has decided and not yet published (written in the same transaction as the log)."""

    centre = models.ForeignKey(ContactCentre, on_delete=models.CASCADE)
    seq = models.BigIntegerField()
    data = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "seq"], name="router_outbox_seq")]

    def __str__(self) -> str:
        return f"{self.seq} {self.data.get('type')}"


class RouterCheckpoint(models.Model):
    """The engine's whole state after event `log_seq` (kefu.routing.checkpoint)."""

    centre = models.ForeignKey(ContactCentre, on_delete=models.CASCADE)
    log_seq = models.BigIntegerField()
    state = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-log_seq"]

    def __str__(self) -> str:
        return f"{self.centre_id} @{self.log_seq}"


# ---------------------------------------------------------------------------------------- IVR


class IvrMenu(models.Model):
    """An IVR menu tree (CC-2), edited in the back-office. The entry menu of a hotline number is the
    active menu with `entry` set; each node answers one DTMF digit."""

    centre = models.ForeignKey(ContactCentre, verbose_name=_("contact centre"), on_delete=models.PROTECT)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    greeting = models.CharField(_("greeting"), max_length=400, blank=True)
    entry = models.BooleanField(_("entry menu"), default=False)
    active = models.BooleanField(_("active"), default=True)
    survey = models.BooleanField(
        _("satisfaction survey after the call"), default=True, help_text=_("Callers rate the call from 1 to 5.")
    )

    class Meta:
        verbose_name = _("IVR menu")
        verbose_name_plural = _("IVR menus")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class IvrNodeKind(models.TextChoices):
    MENU = "menu", _("Sub-menu")
    SELF_SERVICE = "self_service", _("Self-service")
    TRANSFER = "transfer", _("Transfer to a skill group")
    REPEAT = "repeat", _("Repeat the menu")
    BACK = "back", _("Back to the previous menu")
    HANG_UP = "hang_up", _("Goodbye")


class SelfService(models.TextChoices):
    BALANCE = "balance", _("Balance and arrears")
    LAST_BILL = "last_bill", _("Last bill")
    POINTS = "points", _("Points balance")
    STATUS = "status", _("Service status")


class IvrNode(models.Model):
    """One choice of a menu: the caller presses `digit` in the menu `parent` (None: the top level)."""

    menu = models.ForeignKey(IvrMenu, verbose_name=_("menu"), on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", verbose_name=_("in sub-menu"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    digit = models.CharField(_("digit"), max_length=1, help_text=_("0–9, * or #"))
    label = models.CharField(_("label"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=IvrNodeKind.choices)
    prompt = models.CharField(_("prompt"), max_length=400, blank=True)
    service = models.CharField(_("self-service"), max_length=20, choices=SelfService.choices, blank=True)
    group = models.ForeignKey(
        SkillGroup, verbose_name=_("skill group"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("IVR node")
        verbose_name_plural = _("IVR nodes")
        ordering = ["menu", "parent_id", "digit"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "parent", "digit"], name="ivr_digit_once"),
            models.UniqueConstraint(
                fields=["menu", "digit"], condition=Q(parent__isnull=True), name="ivr_top_digit_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.digit} {self.label}"


class IvrSession(models.Model):
    """A caller in the IVR: where they are, what they pressed, where they went."""

    class State(models.TextChoices):
        ACTIVE = "active", _("In the menu")
        TRANSFERRED = "transferred", _("Transferred to an agent")
        SURVEY = "survey", _("In the survey")
        ENDED = "ended", _("Ended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    menu = models.ForeignKey(IvrMenu, on_delete=models.PROTECT)
    node = models.ForeignKey(IvrNode, null=True, blank=True, on_delete=models.SET_NULL)  # None: the top menu
    call_id = models.CharField(max_length=64, blank=True)
    caller = models.CharField(max_length=20, blank=True)
    subscriber = models.ForeignKey("customers.Subscriber", null=True, blank=True, on_delete=models.SET_NULL)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    path = models.JSONField(default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("IVR session")
        verbose_name_plural = _("IVR sessions")

    def __str__(self) -> str:
        return f"{self.menu_id} {self.started_at:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------------------------- outbound


class OutboundTask(models.Model):
    """Someone to call back (CC-7): from a callback accepted in the queue, or from a campaign."""

    class Source(models.TextChoices):
        CALLBACK = "callback", _("Callback")
        CAMPAIGN = "campaign", _("Campaign")
        MANUAL = "manual", _("Manual")

    class Status(models.TextChoices):
        PENDING = "pending", _("To call")
        DONE = "done", _("Done")
        FAILED = "failed", _("Gave up")
        BLOCKED = "blocked", _("Do not call")
        CANCELLED = "cancelled", _("Cancelled")

    centre = models.ForeignKey(ContactCentre, verbose_name=_("contact centre"), on_delete=models.PROTECT)
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    group = models.ForeignKey(
        SkillGroup, verbose_name=_("skill group"), null=True, blank=True, on_delete=models.SET_NULL
    )
    subscriber = models.ForeignKey("customers.Subscriber", null=True, blank=True, on_delete=models.SET_NULL)
    msisdn = models.CharField(_("number"), max_length=20)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    campaign = models.CharField(_("campaign"), max_length=40, blank=True)
    origin = models.ForeignKey(
        Contact, verbose_name=_("from contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("most attempts"), default=3)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("outbound task")
        verbose_name_plural = _("outbound tasks")
        ordering = ["next_attempt_at", "id"]
        indexes = [models.Index(fields=["centre", "status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.pk}"


class OutboundAttempt(models.Model):
    class Result(models.TextChoices):
        REACHED = "reached", _("Reached, done")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        CALL_LATER = "call_later", _("Asked to call later")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        REFUSED = "refused", _("Refused, do not call")

    task = models.ForeignKey(OutboundTask, on_delete=models.CASCADE, related_name="attempts_made")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("time"))
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("outbound attempt")
        verbose_name_plural = _("outbound attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.result}"


class DoNotCall(models.Model):
    """A number that asked not to be called (outbound tasks to it are blocked)."""

    msisdn = models.CharField(_("number"), max_length=20, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: for good."))

    class Meta:
        verbose_name = _("do-not-call number")
        verbose_name_plural = _("do-not-call list")

    def __str__(self) -> str:
        return self.msisdn
