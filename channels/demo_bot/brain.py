"""The demo bot's dialogue logic: a small rule-based support agent with no I/O.

convsim ships this bot so a hybrid conversation can be shown (and tested) without any external
service. It behaves like a typical scripted support bot: it greets, recognises what the customer
wants, asks for the details it needs one at a time, confirms before irreversible actions,
resolves with concrete wording, offers more help and closes politely. It replies with one to
three messages per turn, as real bots often do.

Everything is deterministic for a seed: each session gets its own ``random.Random(seed)``, so the
same customer lines give the same replies whatever the session id is.

Over 400 lines on purpose: it is one dialogue policy (intents, slots, confirmations, closing) of a
test fixture bot; the phrases and the slot reading already live in their own modules.
"""

from __future__ import annotations

import enum
import random

import attrs

from channels.demo_bot import records
from channels.demo_bot.records import CURRENT_PLAN
from channels.demo_bot.understanding import Answer, Cue, Reading, Topic, digits_tail, read
from channels.demo_bot.wording import pick

MAX_MESSAGES_PER_TURN = 3


class Stage(enum.Enum):
    OPEN = "open"  # waiting to hear what the customer needs
    NEED = "need"  # asked for a detail (``need``)
    CONFIRM = "confirm"  # asked "shall I go ahead?"
    OFFER_HUMAN = "offer_human"  # asked "shall I connect you with a person?"
    ANYTHING_ELSE = "anything_else"  # resolved; asked "anything else?"
    CLOSED = "closed"  # said goodbye


class Slot(enum.Enum):
    ISSUE = "issue"  # billing: unexpected charge or cancellation?
    EMAIL = "email"
    ORDER = "order"
    DAMAGE = "damage"
    PHONE = "phone"
    PLAN = "plan"


_SLOTS: dict[Topic, tuple[Slot, ...]] = {
    Topic.BILLING: (Slot.ISSUE, Slot.EMAIL),
    Topic.DAMAGED: (Slot.ORDER, Slot.DAMAGE),
    Topic.TWO_FACTOR: (Slot.EMAIL, Slot.PHONE),
    Topic.ORDER_STATUS: (Slot.ORDER,),
    Topic.UPGRADE: (Slot.PLAN, Slot.EMAIL),
    Topic.HUMAN: (Slot.EMAIL,),
}

_PHOTO_QUESTION = ("photo", "picture", "pic", "image", "attach", "upload")


@attrs.define
class _Details:
    """What the customer has told the bot so far (None: not yet)."""

    email: str | None = None
    order: str | None = None
    phone: str | None = None
    plan: str | None = None
    damage: str | None = None
    """The customer's own words about what arrived damaged."""


@attrs.define
class _Dialogue:
    """One customer's conversation: what the bot knows and what it is waiting for."""

    rng: random.Random
    turns: int = 0
    stage: Stage = Stage.OPEN
    topic: Topic | None = None
    need: Slot | None = None
    known: _Details = attrs.field(factory=_Details)
    double_charge: bool = False
    wants_cancel: bool = False
    replacement: bool = False
    last_topic: Topic | None = None
    """The problem solved most recently, for follow-up questions about it."""
    confusion: int = 0
    misses: int = 0
    out: list[tuple[str, int]] = attrs.field(factory=list)
    """This turn's lines with how readily each can be dropped (0: never, 1: first, 2: next)."""

    # -- entry point -------------------------------------------------------------------------

    def respond(self, text: str) -> list[str]:
        self.out = []
        first = self.turns == 0
        self.turns += 1
        reading = read(
            text, expect_order=self.need is Slot.ORDER, expect_phone=self.need is Slot.PHONE
        )
        if self.stage is Stage.CLOSED:
            if reading.topic is None and reading.says(Cue.THANKS, Cue.BYE, Cue.DONE):
                self._say("closing")  # a last "thanks, bye" after the bot already closed
                return self._fit()
            self._say("welcome_back")
            self.stage = Stage.OPEN
        elif first:
            self._say("greet")
        if not text.strip():
            self._say("empty")
            return self._fit()
        self._absorb(reading)
        self._handle(reading)
        return self._fit()

    # -- dispatch by stage -------------------------------------------------------------------

    def _handle(self, r: Reading) -> None:
        if self.stage is Stage.OFFER_HUMAN:
            self._on_offer(r)
        elif r.strong(Topic.HUMAN) and self.topic is not Topic.HUMAN:
            self._start(Topic.HUMAN, r)
        elif self.stage is Stage.NEED:
            self._on_need(r)
        elif self.stage is Stage.CONFIRM:
            self._on_confirm(r)
        elif self.stage is Stage.ANYTHING_ELSE:
            self._on_anything_else(r)
        else:
            self._on_open(r)

    def _on_open(self, r: Reading) -> None:
        if self._answers_follow_up(r):
            return
        if r.topic is not None:
            self._start(r.topic, r)
        elif r.says(Cue.BYE, Cue.DONE) or (r.says(Cue.THANKS) and r.word_count <= 4):
            self._close()
        elif r.says(Cue.GREETING_ONLY):
            self._say("how_help")
        else:
            self._confused()

    def _on_anything_else(self, r: Reading) -> None:
        # "No thanks, that's all for my order" mentions an order but is a goodbye.
        finished = r.answer is Answer.NO or r.says(Cue.DONE, Cue.THANKS, Cue.BYE)
        if self._answers_follow_up(r):
            return
        if r.topic is not None and (r.strong(r.topic) or not finished):
            self._say("sure")
            self._start(r.topic, r)
        elif finished:
            self._close()
        elif r.answer is Answer.YES or r.says(Cue.GREETING_ONLY):
            self._say("what_else")
            self.stage = Stage.OPEN
        else:
            self.stage = Stage.OPEN
            self._confused()

    def _answers_follow_up(self, r: Reading) -> bool:
        """Answer "will I get a confirmation?" / "how long will it take?" about the last fix."""
        last = self.last_topic
        if last is None or (r.topic is not None and r.strong(r.topic)):
            return False
        if r.says(Cue.ASKS_CONFIRMATION):
            key = "faq_confirmation" if self.known.email else "faq_confirmation_no_email"
            self._say(key, email=self.known.email)
        elif r.says(Cue.ASKS_HOW_LONG) and last in (Topic.BILLING, Topic.DAMAGED):
            self._say("faq_how_long_refund")
        elif r.says(Cue.ASKS_HOW_LONG) and last is Topic.ORDER_STATUS:
            self._say("faq_how_long_delivery")
        else:
            return False
        self._say("anything_else")
        self.stage = Stage.ANYTHING_ELSE
        return True

    def _on_offer(self, r: Reading) -> None:
        if r.topic is not None and r.topic is not Topic.HUMAN:
            self._start(r.topic, r)
        elif r.answer is Answer.YES or (r.answer is Answer.UNCLEAR and r.strong(Topic.HUMAN)):
            self._start(Topic.HUMAN, r)
        elif r.answer is Answer.NO:
            self.confusion = self.misses = 0
            if self.topic is not None:
                self._say("resume")
                self._advance()
            else:
                self._say("decline_human")
                self.stage = Stage.OPEN
        elif r.says(Cue.BYE):
            self._close(resolved=False)
        else:
            self._say("reprompt_offer")

    def _on_need(self, r: Reading) -> None:
        assert self.need is not None
        if self._fill(self.need, r):
            self.misses = 0
            self._advance()
        elif r.says(Cue.BYE):
            self._close(resolved=False)
        elif r.topic is not None and r.topic is not self.topic and r.strong(r.topic):
            self._say("switch")
            self._start(r.topic, r)
        elif r.says(Cue.THANKS) and r.word_count <= 3:
            self._say("no_problem")
            self._ask(self.need)
        elif self.need is Slot.PLAN and r.plan == CURRENT_PLAN:
            self._say("same_plan")
        elif self.need is Slot.DAMAGE and any(w in r.text.lower() for w in _PHOTO_QUESTION):
            self._say("reprompt_photo")
        else:
            self._miss(f"reprompt_{self.need.value}")

    def _on_confirm(self, r: Reading) -> None:
        if r.answer is Answer.YES:
            self._resolve(confirmed=True)
        elif r.answer is Answer.NO:
            self._resolve(confirmed=False)
        elif r.says(Cue.BYE):
            self._close(resolved=False)
        elif r.topic is not None and r.topic is not self.topic and r.strong(r.topic):
            self._say("switch")
            self._start(r.topic, r)
        else:
            self._miss("reprompt_confirm")

    # -- facts ----------------------------------------------------------------------------------

    def _absorb(self, r: Reading) -> None:
        """Keep every fact the customer volunteers, whatever the bot asked."""
        self.known.email = r.email or self.known.email
        self.known.order = r.order or self.known.order
        self.known.phone = r.phone or self.known.phone
        if r.plan is not None and (self.topic is Topic.UPGRADE or r.topic is Topic.UPGRADE):
            self.known.plan = r.plan
        if self.topic is Topic.BILLING or r.topic is Topic.BILLING:
            self.double_charge |= r.says(Cue.DOUBLE_CHARGE)
            self.wants_cancel |= r.says(Cue.WANTS_CANCEL)
        self.replacement |= r.says(Cue.WANTS_REPLACEMENT)

    def _fill(self, slot: Slot, r: Reading) -> bool:
        """Whether this message supplied ``slot``; says a short thank-you when it did."""
        if slot is Slot.EMAIL and r.email:
            self._say("got_email", email=r.email)
        elif slot is Slot.ORDER and r.order:
            self._say("got_order", order=r.order)
        elif slot is Slot.PHONE and r.phone:
            self._say("got_phone", tail=digits_tail(r.phone))
        elif slot is Slot.PLAN and r.plan and r.plan != CURRENT_PLAN:
            self.known.plan = r.plan
            self._say("got_plan", plan=r.plan.title())
        elif slot is Slot.ISSUE and (self.double_charge or self.wants_cancel):
            self._say(f"ack_{self._ack_key(Topic.BILLING)}")
        elif slot is Slot.DAMAGE and self._describes_damage(r):
            self.known.damage = r.text.strip()
            self._say("got_damage")
        else:
            return False
        return True

    @staticmethod
    def _describes_damage(r: Reading) -> bool:
        """A few words that are not a question or a refusal ("I don't have a photo")."""
        if r.word_count < 3 or "?" in r.text:
            return False
        return r.answer is not Answer.NO or r.strong(Topic.DAMAGED)

    def _filled(self, slot: Slot) -> bool:
        return {
            Slot.ISSUE: self.double_charge or self.wants_cancel,
            Slot.EMAIL: self.known.email is not None,
            Slot.ORDER: self.known.order is not None,
            Slot.DAMAGE: self.known.damage is not None,
            Slot.PHONE: self.known.phone is not None,
            Slot.PLAN: self.known.plan is not None and self.known.plan != CURRENT_PLAN,
        }[slot]

    # -- flow -------------------------------------------------------------------------------------

    def _start(self, topic: Topic, r: Reading) -> None:
        self.topic = topic
        self.confusion = self.misses = 0
        if topic is Topic.BILLING:
            self.double_charge |= r.says(Cue.DOUBLE_CHARGE)
            self.wants_cancel |= r.says(Cue.WANTS_CANCEL)
        if topic is Topic.UPGRADE and r.plan is not None:
            self.known.plan = r.plan
        self._say(f"ack_{self._ack_key(topic)}")
        self._advance()

    def _ack_key(self, topic: Topic) -> str:
        if topic is not Topic.BILLING:
            return topic.value
        if self.double_charge and self.wants_cancel:
            return "billing_both"
        if self.double_charge:
            return "billing_double"
        return "billing_cancel" if self.wants_cancel else "billing"

    def _advance(self) -> None:
        """Ask for the next missing detail, or confirm, or resolve."""
        assert self.topic is not None
        for slot in _SLOTS[self.topic]:
            if not self._filled(slot):
                self.stage, self.need = Stage.NEED, slot
                self._ask(slot)
                return
        self.need = None
        if self.topic is Topic.BILLING and self.wants_cancel:
            if self.double_charge:
                self._say("findings_double", amount=self._amount(), day=self._charge_day())
                self._say("confirm_cancel_refund")
            else:
                self._say("confirm_cancel")
            self.stage = Stage.CONFIRM
        elif self.topic is Topic.UPGRADE:
            plan = self.known.plan or "premium"
            price = records.plan_price(plan)
            self._say("confirm_upgrade", plan=plan.title(), price=price)
            self.stage = Stage.CONFIRM
        else:
            self._resolve(confirmed=True)

    def _ask(self, slot: Slot) -> None:
        if slot is Slot.PLAN:
            self._say("plans_info")
        self._say(f"ask_{slot.value}")

    def _resolve(self, *, confirmed: bool) -> None:
        topic = self.topic
        amount = self._amount()
        if topic is Topic.BILLING:
            if self.double_charge and self.wants_cancel and confirmed:
                self._say("resolve_cancel_refund", amount=amount)
            elif self.double_charge:
                if not self.wants_cancel:
                    self._say("findings_double", amount=amount, day=self._charge_day())
                self._say("resolve_refund_only", amount=amount)
            else:
                self._say("resolve_cancel" if confirmed else "resolve_keep")
        elif topic is Topic.DAMAGED:
            key = "resolve_damaged_replacement" if self.replacement else "resolve_damaged_refund"
            self._say(key, order=self.known.order, amount=self._item_price())
        elif topic is Topic.TWO_FACTOR:
            self._say(
                "resolve_two_factor",
                email=self.known.email,
                tail=digits_tail(self.known.phone or ""),
            )
        elif topic is Topic.ORDER_STATUS:
            self._say_order_status()
        elif topic is Topic.UPGRADE:
            plan = self.known.plan or "premium"
            if not confirmed:
                self._say("resolve_no_upgrade")
            else:
                key = "resolve_upgrade" if records.is_upgrade(plan) else "resolve_downgrade"
                price = records.plan_price(plan)
                self._say(key, email=self.known.email, plan=plan.title(), price=price)
        elif topic is Topic.HUMAN:
            ref = f"ESC-{self.rng.randint(10000, 99999)}"
            self._say("resolve_escalate", ref=ref, email=self.known.email)
        self._say("anything_else")
        self.last_topic = topic
        self._reset_topic()
        self.stage = Stage.ANYTHING_ELSE

    def _say_order_status(self) -> None:
        order = self.known.order or ""
        parcel = records.shipment(order)
        fields = {"order": order, "carrier": parcel.carrier, "tracking": parcel.tracking}
        if parcel.out_for_delivery:
            self._say("resolve_order_out", **fields)
        else:
            self._say("resolve_order_shipped", shipped=parcel.shipped, eta=parcel.eta, **fields)

    def _amount(self) -> str:
        return records.subscription_charge()

    def _charge_day(self) -> str:
        return records.charge_day(self.known.email or "")

    def _item_price(self) -> str:
        return records.item_price(self.known.order or "")

    def _reset_topic(self) -> None:
        """Forget the finished problem but keep who the customer is (their email)."""
        self.topic = self.need = None
        self.known = _Details(email=self.known.email)
        self.double_charge = self.wants_cancel = self.replacement = False
        self.confusion = self.misses = 0

    # -- confusion and closing ------------------------------------------------------------------

    def _confused(self) -> None:
        self.confusion += 1
        if self.confusion >= 2:
            self._offer_human()
        else:
            self._say("clarify")

    def _miss(self, reprompt: str) -> None:
        self.misses += 1
        if self.misses >= 2:
            self._offer_human()
        else:
            self._say(reprompt)

    def _offer_human(self) -> None:
        self._say("offer_human")
        self.stage = Stage.OFFER_HUMAN

    def _close(self, *, resolved: bool = True) -> None:
        self._say("closing" if resolved else "closing_unresolved")
        self._reset_topic()
        self.stage = Stage.CLOSED

    # -- output ----------------------------------------------------------------------------------

    def _say(self, key: str, **fields: object) -> None:
        if key.startswith("got_"):
            droppable = 1
        elif key.startswith("ack_"):
            droppable = 2
        else:
            droppable = 0
        self.out.append((pick(self.rng, key, **fields), droppable))

    def _fit(self) -> list[str]:
        """At most three messages per turn.

        A long turn first loses its small talk ("Thanks, I've got ...", then the topic
        acknowledgement); whatever is still too long is merged into the last message.
        """
        lines = list(self.out)
        for rank in (1, 2):
            while len(lines) > MAX_MESSAGES_PER_TURN:
                index = next((i for i, (_, r) in enumerate(lines) if r == rank), None)
                if index is None:
                    break
                del lines[index]
        messages = [text for text, _ in lines]
        if len(messages) > MAX_MESSAGES_PER_TURN:
            keep = MAX_MESSAGES_PER_TURN - 1
            messages = [*messages[:keep], " ".join(messages[keep:])]
        return messages


class DemoBotBrain:
    """The bot's decisions for any number of concurrent sessions, keyed by session id.

    Pure logic: the server calls :meth:`reply` once per customer message and sends what it
    returns. Not thread-safe; the server serialises turns per session.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._dialogues: dict[str, _Dialogue] = {}

    def reply(self, session_id: str, text: str) -> list[str]:
        """The bot's answer to one customer message: one to three chat messages, in order."""
        dialogue = self._dialogues.get(session_id)
        if dialogue is None:
            dialogue = self._dialogues[session_id] = _Dialogue(rng=random.Random(self.seed))
        return dialogue.respond(text)

    def forget(self, session_id: str) -> None:
        """Drop a session's state; its next message starts a new conversation."""
        self._dialogues.pop(session_id, None)

    def is_closed(self, session_id: str) -> bool:
        """Whether the bot has said goodbye in this session (until the customer writes again)."""
        dialogue = self._dialogues.get(session_id)
        return dialogue is not None and dialogue.stage is Stage.CLOSED

    @property
    def session_count(self) -> int:
        return len(self._dialogues)
