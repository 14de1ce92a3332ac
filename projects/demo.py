"""The demo course's projects: groups at every stage, TA help availability with bookings, oral slots."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coursesite.demo import DemoContext
from coursesite.uploads import minimal_pdf

from . import services
from .models import Group, HelpAttendee, HelpAvailability, HelpBooking, HelpSlot, OralSlot, PartnerSearch

# (name, member numbers, stage)
DEMO_GROUPS = [
    ("Sparrows", (1, 2), "forming"),
    ("Transformers for tiny images", (4, 5, 6), "waiting"),
    ("Music generation with RNNs", (7, 8, 9), "approved"),
    ("Self-supervised CIFAR", (10, 11, 12), "report"),
    ("Pruning small nets", (13, 14, 15), "changes"),
]


def _make_group(ctx: DemoContext, name: str, numbers: tuple[int, ...], stage: str) -> None:
    if Group.objects.filter(course=ctx.course, name=name).exists():
        return
    people = [ctx.students[n - 1] for n in numbers]
    group = services.group_create(course=ctx.course, by=people[0], name=name)
    for other in people[1:]:
        invitation = services.group_invite(group=group, by=people[0], username=other.username)
        services.invitation_answer(invitation=invitation, by=other, accept=True)
    if stage == "forming":
        services.group_invite(group=group, by=people[0], username=ctx.students[2].username)
        return
    proposal = services.proposal_submit(
        group=group,
        by=people[1],
        title=name,
        description=f"We study {name.lower()} and compare with the course's baseline on the same data.",
        pdf=SimpleUploadedFile("proposal.pdf", minimal_pdf(f"Proposal: {name}"), "application/pdf"),
    )
    if stage == "waiting":
        return
    if stage == "changes":
        services.proposal_decide(
            proposal=proposal, by=ctx.instructor, approve=False, comment="Narrow the scope: one dataset, one baseline."
        )
        return
    services.proposal_decide(proposal=proposal, by=ctx.instructor, approve=True, comment="Good plan.")
    applied = timezone.localdate() - dt.timedelta(days=2)
    services.compute_account_applied(group=group, by=people[0], account=f"dd2424-{group.pk}", applied_on=applied)
    if stage == "report":
        services.compute_account_granted(group=group, by=people[0], granted_on=timezone.localdate())
        services.report_upload(
            group=group,
            by=people[2],
            upload=SimpleUploadedFile("report.pdf", minimal_pdf(f"Final report: {name}"), "application/pdf"),
        )
        slot = OralSlot.objects.filter(course=ctx.course, group__isnull=True, starts_at__gt=timezone.now()).first()
        if slot is not None:
            services.oral_book(slot=slot, group=group, by=people[0])


def extend_demo(ctx: DemoContext) -> None:
    course = ctx.course
    if course.orals_start and not OralSlot.objects.filter(course=course).exists():
        for offset in (0, 1):
            services.oral_slots_publish(
                course=course,
                by=ctx.instructor,
                day=course.orals_start + dt.timedelta(days=offset),
                start=dt.time(9, 0),
                count=8,
                place="Room E32",
            )
    for name, numbers, stage in DEMO_GROUPS:
        _make_group(ctx, name, numbers, stage)
    for student in ctx.students[15:17]:
        if not PartnerSearch.objects.filter(course=course, user=student).exists():
            services.partner_search_set(course=course, by=student, looking=True, note="Interested in generative models")

    # Help sessions the next two days, so the booking pages have something to show.
    tomorrow = timezone.localtime(timezone.now(), course.tz).date() + dt.timedelta(days=1)
    for index, ta in enumerate(ctx.tas[:2]):
        day = tomorrow + dt.timedelta(days=index)
        if HelpAvailability.objects.filter(course=course, ta=ta, date=day).exists():
            continue
        services.help_availability_publish(
            course=course,
            ta=ta,
            date=day,
            start=dt.time(13, 0),
            end=dt.time(15, 0),
            place="Zoom: https://example.zoom.us/j/24240" if index else "Room 4523, Lindstedtsvägen 5",
        )
    slots = list(
        HelpSlot.objects.filter(course=course, ta=ctx.tas[0], availability__date=tomorrow).order_by("starts_at")[:2]
    )
    wishes = [
        (ctx.students[6], HelpBooking.Kind.PROJECT, "Our LSTM's loss plateaus after two epochs"),
        (ctx.students[19], HelpBooking.Kind.ASSIGNMENT, "Assignment 2: my gradient check fails for b1"),
    ]
    for slot, (student, kind, topic) in zip(slots, wishes, strict=False):
        busy = HelpAttendee.objects.filter(user=student, booking__cancelled_at__isnull=True).exists()
        if not busy and not slot.bookings.filter(cancelled_at__isnull=True).exists():
            services.help_book(slot=slot, by=student, kind=kind, topic=topic)
