"""REST API of projects: one view per endpoint; serializer class names are globally unique (drf-spectacular)."""

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from coursesite import access as core_access
from coursesite.errors import Refused
from coursesite.models import Course, Membership, User
from coursesite.requests import AuthedRequest

from . import access, selectors, services
from .models import Group, HelpBooking, HelpSlot, Invitation, OralSlot, ProjectSettings, Proposal

# Output shapes ------------------------------------------------------------------------------------------------------


class ProjectPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ProjectProposalOutputSerializer(serializers.ModelSerializer[Proposal]):
    group = serializers.IntegerField(source="group_id")
    group_name = serializers.CharField(source="group.name")
    has_pdf = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="waiting, approved, changes, rejected or superseded")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "group",
            "group_name",
            "version",
            "title",
            "description",
            "has_pdf",
            "submitted_at",
            "late",
            "due_on",
            "status",
            "comment",
            "decided_at",
        ]

    def get_has_pdf(self, obj: Proposal) -> bool:
        return bool(obj.pdf)


class ProjectGroupOutputSerializer(serializers.ModelSerializer[Group]):
    members = serializers.SerializerMethodField()
    locked = serializers.BooleanField()
    oral_starts_at = serializers.SerializerMethodField()
    has_report = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = [
            "id",
            "name",
            "members",
            "locked",
            "approved_at",
            "compute_account",
            "compute_applied_on",
            "compute_granted_on",
            "has_report",
            "oral_starts_at",
        ]

    @extend_schema_field(ProjectPersonSerializer(many=True))
    def get_members(self, obj: Group) -> list[dict[str, Any]]:
        return [ProjectPersonSerializer(m.user).data for m in obj.members.all()]

    def get_oral_starts_at(self, obj: Group) -> dt.datetime | None:
        slot = getattr(obj, "oral_slot", None)
        return slot.starts_at if slot else None

    def get_has_report(self, obj: Group) -> bool:
        return obj.reports.exists()


class ProjectInvitationOutputSerializer(serializers.ModelSerializer[Invitation]):
    group = serializers.IntegerField(source="group_id")
    group_name = serializers.CharField(source="group.name")
    invitee = serializers.CharField(source="invitee.username")
    invited_by = serializers.CharField(source="invited_by.username", default="")
    status = serializers.CharField(help_text="pending, accepted, declined or expired")

    class Meta:
        model = Invitation
        fields = ["id", "group", "group_name", "invitee", "invited_by", "status", "created_at"]


class ProjectOralSlotOutputSerializer(serializers.ModelSerializer[OralSlot]):
    group = serializers.IntegerField(source="group_id", allow_null=True)

    class Meta:
        model = OralSlot
        fields = ["id", "starts_at", "ends_at", "place", "group"]


class ProjectHelpSlotOutputSerializer(serializers.ModelSerializer[HelpSlot]):
    ta = serializers.CharField(source="ta.display_name")
    place = serializers.CharField(source="availability.place")
    booked = serializers.SerializerMethodField()

    class Meta:
        model = HelpSlot
        fields = ["id", "starts_at", "ends_at", "ta", "place", "booked"]

    def get_booked(self, obj: HelpSlot) -> bool:
        if hasattr(obj, "active_bookings"):
            return bool(selectors.active_bookings(obj))
        return obj.bookings.filter(cancelled_at__isnull=True).exists()


class ProjectHelpBookingOutputSerializer(serializers.ModelSerializer[HelpBooking]):
    slot = ProjectHelpSlotOutputSerializer()
    attendees = serializers.SerializerMethodField()
    group = serializers.IntegerField(source="group_id", allow_null=True)
    kind = serializers.CharField(help_text="project or assignment")

    class Meta:
        model = HelpBooking
        fields = ["id", "slot", "kind", "topic", "group", "attendees", "cancelled_at", "attended", "attendance_note"]

    def get_attendees(self, obj: HelpBooking) -> list[str]:
        return [a.user.username for a in obj.attendees.all()]


class ProjectHelpAvailabilityListSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ta = serializers.CharField(source="ta.username")
    date = serializers.DateField()
    start = serializers.TimeField()
    end = serializers.TimeField()
    place = serializers.CharField()
    slots = serializers.IntegerField(source="slot_count")
    booked = serializers.IntegerField(source="booked_count", help_text="Booked slots: while any, no withdrawal")


class ProjectSettingsSerializer(serializers.ModelSerializer[ProjectSettings]):
    unconfirmed_result = serializers.CharField(max_length=2, help_text="A grade: A-E, Fx or F")

    class Meta:
        model = ProjectSettings
        fields = [
            "group_size",
            "help_slot_minutes",
            "max_upcoming_bookings",
            "cancel_before_hours",
            "oral_slot_minutes",
            "oral_move_before_hours",
            "compute_reminder_days",
            "unconfirmed_result",
        ]


def _course(request: AuthedRequest, code: str) -> tuple[Course, Membership]:
    return core_access.access_course(user=request.user, code=code)


def _group(request: AuthedRequest, code: str, group_id: int) -> Group:
    """A group of the course, to act on (the service says whether this user may)."""
    course, _ = _course(request, code)
    return selectors.group_in(course=course, pk=group_id, overview=True)


def _visible_group(request: AuthedRequest, code: str, group_id: int) -> Group:
    """A group of the course, to read: staff read every group, a student only their own."""
    group = _group(request, code, group_id)
    access.access_group(user=request.user, group=group)
    return group


def _group_data(group: Group) -> Any:
    return ProjectGroupOutputSerializer(selectors.group_in(course=group.course, pk=group.pk, overview=True)).data


# Settings -----------------------------------------------------------------------------------------------------------


class ProjectSettingsApi(APIView):
    @extend_schema(responses=ProjectSettingsSerializer)
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        return Response(ProjectSettingsSerializer(ProjectSettings.for_course(course)).data)

    @extend_schema(request=ProjectSettingsSerializer, responses=ProjectSettingsSerializer)
    def put(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        data = ProjectSettingsSerializer(ProjectSettings.for_course(course), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.project_settings_update(course=course, by=request.user, **data.validated_data)
        return Response(ProjectSettingsSerializer(updated).data)


# Groups -------------------------------------------------------------------------------------------------------------


class GroupListApi(APIView):
    class GroupCreateInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=ProjectGroupOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, membership = _course(request, code)
        groups = selectors.groups_overview(course=course)
        if not membership.is_staff_role:
            groups = groups.filter(members__user=request.user)
        return Response(ProjectGroupOutputSerializer(groups, many=True).data)

    @extend_schema(request=GroupCreateInputSerializer, responses={201: ProjectGroupOutputSerializer})
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        data = self.GroupCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_create(course=course, by=request.user, name=data.validated_data["name"])
        return Response(_group_data(group), status=status.HTTP_201_CREATED)


class GroupFormApi(APIView):
    class GroupFormInputSerializer(serializers.Serializer[Any]):
        usernames = serializers.ListField(child=serializers.CharField())
        name = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=GroupFormInputSerializer, responses={201: ProjectGroupOutputSerializer})
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        data = self.GroupFormInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_form(course=course, by=request.user, **data.validated_data)
        return Response(_group_data(group), status=status.HTTP_201_CREATED)


class GroupDetailApi(APIView):
    @extend_schema(responses=ProjectGroupOutputSerializer)
    def get(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        return Response(ProjectGroupOutputSerializer(_visible_group(request, code, group_id)).data)


class GroupInviteApi(APIView):
    class GroupInviteInputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()

    @extend_schema(request=GroupInviteInputSerializer, responses={201: ProjectInvitationOutputSerializer})
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.GroupInviteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.group_invite(group=group, by=request.user, username=data.validated_data["username"])
        return Response(ProjectInvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class GroupLeaveApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        services.group_leave(group=group, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListApi(APIView):
    @extend_schema(responses=ProjectInvitationOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        invitations = selectors.pending_invitations(course=course, user=request.user)
        return Response(ProjectInvitationOutputSerializer(invitations, many=True).data)


class InvitationAnswerApi(APIView):
    class InvitationAnswerInputSerializer(serializers.Serializer[Any]):
        accept = serializers.BooleanField()

    @extend_schema(request=InvitationAnswerInputSerializer, responses=ProjectInvitationOutputSerializer)
    def post(self, request: AuthedRequest, code: str, invitation_id: int) -> Response:
        course, _ = _course(request, code)
        invitation = selectors.invitation_in(course=course, pk=invitation_id)
        data = self.InvitationAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_answer(
            invitation=invitation, by=request.user, accept=data.validated_data["accept"]
        )
        return Response(ProjectInvitationOutputSerializer(invitation).data)


class PartnerSearchApi(APIView):
    class PartnerSearchInputSerializer(serializers.Serializer[Any]):
        looking = serializers.BooleanField()
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    class PartnerSearchOutputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(source="user.username")
        display_name = serializers.CharField(source="user.display_name")
        note = serializers.CharField()

    @extend_schema(responses=PartnerSearchOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        return Response(self.PartnerSearchOutputSerializer(selectors.partner_searches(course=course), many=True).data)

    @extend_schema(request=PartnerSearchInputSerializer, responses={204: None})
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        data = self.PartnerSearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.partner_search_set(course=course, by=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMemberAddApi(APIView):
    class GroupMemberAddInputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=GroupMemberAddInputSerializer, responses=ProjectGroupOutputSerializer)
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.GroupMemberAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.group_member_add(group=group, by=request.user, **data.validated_data)
        return Response(_group_data(group))


class GroupMemberRemoveApi(APIView):
    class GroupMemberRemoveInputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=GroupMemberRemoveInputSerializer, responses=ProjectGroupOutputSerializer)
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.GroupMemberRemoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = selectors.user_named(data.validated_data["username"])
        services.group_member_remove(group=group, user=user, by=request.user, reason=data.validated_data["reason"])
        return Response(_group_data(group))


class GroupSplitApi(APIView):
    class GroupSplitInputSerializer(serializers.Serializer[Any]):
        usernames = serializers.ListField(child=serializers.CharField())
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=GroupSplitInputSerializer, responses={201: ProjectGroupOutputSerializer})
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.GroupSplitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_group = services.group_split(group=group, by=request.user, **data.validated_data)
        return Response(_group_data(new_group), status=status.HTTP_201_CREATED)


class GroupMergeApi(APIView):
    class GroupMergeInputSerializer(serializers.Serializer[Any]):
        other = serializers.IntegerField(help_text="The group whose members move into this one.")
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=GroupMergeInputSerializer, responses=ProjectGroupOutputSerializer)
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.GroupMergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        other = selectors.group_in(course=group.course, pk=data.validated_data["other"])
        services.group_merge(into=group, other=other, by=request.user, reason=data.validated_data["reason"])
        return Response(_group_data(group))


# Proposals, compute account, report -------------------------------------------------------------------------------


class ProposalListApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class ProposalSubmitInputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(max_length=4000)
        pdf = serializers.FileField(required=False)

    @extend_schema(responses=ProjectProposalOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _visible_group(request, code, group_id)
        return Response(ProjectProposalOutputSerializer(group.proposals.all(), many=True).data)

    @extend_schema(
        request={"multipart/form-data": ProposalSubmitInputSerializer},
        responses={201: ProjectProposalOutputSerializer},
    )
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.ProposalSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_submit(group=group, by=request.user, **data.validated_data)
        return Response(ProjectProposalOutputSerializer(proposal).data, status=status.HTTP_201_CREATED)


class ProposalQueueApi(APIView):
    @extend_schema(responses=ProjectProposalOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        access.require_examiner(user=request.user, course=course)
        return Response(ProjectProposalOutputSerializer(selectors.proposal_queue(course=course), many=True).data)


class ProposalDecisionApi(APIView):
    class ProposalDecisionInputSerializer(serializers.Serializer[Any]):
        decision = serializers.ChoiceField(
            choices=["approve", "changes", "reject"], required=False, help_text="or the older approve: true/false"
        )
        approve = serializers.BooleanField(required=False)
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=ProposalDecisionInputSerializer, responses=ProjectProposalOutputSerializer)
    def post(self, request: AuthedRequest, code: str, proposal_id: int) -> Response:
        course, _ = _course(request, code)
        proposal = selectors.proposal_in(course=course, pk=proposal_id)
        data = self.ProposalDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "decision" not in values and "approve" not in values:
            raise serializers.ValidationError({"decision": "Give the decision: approve, changes or reject."})
        decision = values.get("decision") or ("approve" if values["approve"] else "changes")
        proposal = services.proposal_decide(
            proposal=proposal,
            by=request.user,
            approve=decision == "approve",
            reject=decision == "reject",
            comment=values["comment"],
        )
        return Response(ProjectProposalOutputSerializer(proposal).data)


class ComputeAccountApi(APIView):
    class ComputeAccountInputSerializer(serializers.Serializer[Any]):
        account = serializers.CharField(required=False, help_text="With applied_on: the account applied for.")
        applied_on = serializers.DateField(required=False)
        granted_on = serializers.DateField(required=False)

    @extend_schema(request=ComputeAccountInputSerializer, responses=ProjectGroupOutputSerializer)
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.ComputeAccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "applied_on" in values:
            services.compute_account_applied(
                group=group, by=request.user, account=values.get("account", ""), applied_on=values["applied_on"]
            )
        if "granted_on" in values:
            services.compute_account_granted(group=group, by=request.user, granted_on=values["granted_on"])
        if not {"applied_on", "granted_on"} & set(values):
            raise serializers.ValidationError({"detail": "Give applied_on (with account) or granted_on."})
        return Response(_group_data(group))


class ReportUploadApi(APIView):
    parser_classes = [MultiPartParser]

    class ReportUploadInputSerializer(serializers.Serializer[Any]):
        report = serializers.FileField()

    class ReportOutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        uploaded_at = serializers.DateTimeField()
        late = serializers.BooleanField()
        pages = serializers.IntegerField()
        sha256 = serializers.CharField()

    @extend_schema(
        request={"multipart/form-data": ReportUploadInputSerializer}, responses={201: ReportOutputSerializer}
    )
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.ReportUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_upload(group=group, by=request.user, upload=data.validated_data["report"])
        return Response(self.ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


# Orals --------------------------------------------------------------------------------------------------------------


class OralSlotListApi(APIView):
    class OralSlotPublishInputSerializer(serializers.Serializer[Any]):
        day = serializers.DateField()
        start = serializers.TimeField()
        count = serializers.IntegerField(min_value=1, max_value=40)
        place = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=ProjectOralSlotOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, membership = _course(request, code)
        slots = selectors.oral_slots(course=course)
        data = ProjectOralSlotOutputSerializer(slots, many=True).data
        if not membership.is_staff_role:  # students see which slots are taken, not by whom
            mine = getattr(selectors.group_of(course=course, user=request.user), "pk", None)
            for row in data:
                if row["group"] not in (None, mine):
                    row["group"] = -1
        return Response(data)

    @extend_schema(request=OralSlotPublishInputSerializer, responses={201: ProjectOralSlotOutputSerializer(many=True)})
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        data = self.OralSlotPublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slots = services.oral_slots_publish(course=course, by=request.user, **data.validated_data)
        return Response(ProjectOralSlotOutputSerializer(slots, many=True).data, status=status.HTTP_201_CREATED)


class OralBookApi(APIView):
    @extend_schema(request=None, responses=ProjectOralSlotOutputSerializer)
    def post(self, request: AuthedRequest, code: str, slot_id: int) -> Response:
        course, _ = _course(request, code)
        slot = selectors.oral_slot_in(course=course, pk=slot_id)
        group = selectors.group_of(course=course, user=request.user)
        if group is None:
            raise Refused("You are not in a project group.")
        slot = services.oral_book(slot=slot, group=group, by=request.user)
        return Response(ProjectOralSlotOutputSerializer(slot).data)


class OralPlaceApi(APIView):
    class OralPlaceInputSerializer(serializers.Serializer[Any]):
        group = serializers.IntegerField(help_text="the id of an approved group")

    @extend_schema(request=OralPlaceInputSerializer, responses=ProjectOralSlotOutputSerializer)
    def post(self, request: AuthedRequest, code: str, slot_id: int) -> Response:
        course, _ = _course(request, code)
        slot = selectors.oral_slot_in(course=course, pk=slot_id)
        data = self.OralPlaceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = selectors.group_in(course=course, pk=data.validated_data["group"])
        slot = services.oral_place(slot=slot, group=group, by=request.user)
        return Response(ProjectOralSlotOutputSerializer(slot).data)


class OralGradeApi(APIView):
    class OralMemberInputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        confirmed = serializers.BooleanField()
        note = serializers.CharField(required=False, allow_blank=True, default="")

    class OralGradeInputSerializer(serializers.Serializer[Any]):
        grade = serializers.CharField(help_text="A, B, C, D, E, Fx or F")
        graded_on = serializers.DateField(required=False)
        members = serializers.ListField(child=serializers.DictField())
        reason = serializers.CharField(
            required=False, allow_blank=True, max_length=500, help_text="needed for a change once grades are finalised"
        )

    class OralGradeOutputSerializer(serializers.Serializer[Any]):
        grade = serializers.CharField()
        graded_on = serializers.DateField()

    @extend_schema(request=OralGradeInputSerializer, responses=OralGradeOutputSerializer)
    def post(self, request: AuthedRequest, code: str, group_id: int) -> Response:
        group = _group(request, code, group_id)
        data = self.OralGradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        members = self.OralMemberInputSerializer(data=data.validated_data["members"], many=True)
        members.is_valid(raise_exception=True)
        ids = dict(
            User.objects.filter(username__in=[m["username"] for m in members.validated_data]).values_list(
                "username", "pk"
            )
        )
        confirmations = {ids.get(m["username"], -1): (m["confirmed"], m["note"]) for m in members.validated_data}
        oral = services.oral_grade_record(
            group=group,
            by=request.user,
            grade=data.validated_data["grade"],
            confirmations=confirmations,
            graded_on=data.validated_data.get("graded_on"),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self.OralGradeOutputSerializer(oral).data)


# Help sessions ------------------------------------------------------------------------------------------------------


class HelpSlotListApi(APIView):
    @extend_schema(responses=ProjectHelpSlotOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        return Response(ProjectHelpSlotOutputSerializer(selectors.help_slots_upcoming(course=course), many=True).data)


class HelpAvailabilityApi(APIView):
    class HelpAvailabilityInputSerializer(serializers.Serializer[Any]):
        date = serializers.DateField()
        start = serializers.TimeField()
        end = serializers.TimeField()
        place = serializers.CharField(max_length=300)

    class HelpAvailabilityOutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        date = serializers.DateField()
        start = serializers.TimeField()
        end = serializers.TimeField()
        place = serializers.CharField()
        slots = serializers.IntegerField(source="slots.count")

    @extend_schema(responses=ProjectHelpAvailabilityListSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        """Published time that has not ended: a TA's own, or everyone's for the examiner."""
        course, membership = _course(request, code)
        access.require_staff(user=request.user, course=course)
        published = selectors.help_availabilities_upcoming(
            course=course, ta=None if membership.is_instructor else request.user
        )
        return Response(ProjectHelpAvailabilityListSerializer(published, many=True).data)

    @extend_schema(request=HelpAvailabilityInputSerializer, responses={201: HelpAvailabilityOutputSerializer})
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        data = self.HelpAvailabilityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        availability = services.help_availability_publish(course=course, ta=request.user, **data.validated_data)
        return Response(self.HelpAvailabilityOutputSerializer(availability).data, status=status.HTTP_201_CREATED)


class HelpWithdrawApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthedRequest, code: str, availability_id: int) -> Response:
        """Withdraw published time with all its slots (the TA who published it, or the examiner)."""
        course, _ = _course(request, code)
        availability = selectors.help_availability_in(course=course, pk=availability_id)
        services.help_availability_withdraw(availability=availability, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HelpBookApi(APIView):
    class HelpBookInputSerializer(serializers.Serializer[Any]):
        kind = serializers.CharField(help_text="project (booked for your whole group) or assignment")
        topic = serializers.CharField(max_length=300)

    @extend_schema(request=HelpBookInputSerializer, responses={201: ProjectHelpBookingOutputSerializer})
    def post(self, request: AuthedRequest, code: str, slot_id: int) -> Response:
        course, _ = _course(request, code)
        slot = selectors.help_slot_in(course=course, pk=slot_id)
        data = self.HelpBookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.help_book(slot=slot, by=request.user, **data.validated_data)
        return Response(ProjectHelpBookingOutputSerializer(booking).data, status=status.HTTP_201_CREATED)


class HelpBookingListApi(APIView):
    @extend_schema(responses=ProjectHelpBookingOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        bookings = selectors.help_bookings_of(course=course, user=request.user)
        return Response(ProjectHelpBookingOutputSerializer(bookings, many=True).data)


class HelpCancelApi(APIView):
    class HelpCancelInputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=300, help_text="staff: told to the students"
        )

    @extend_schema(request=HelpCancelInputSerializer, responses=ProjectHelpBookingOutputSerializer)
    def post(self, request: AuthedRequest, code: str, booking_id: int) -> Response:
        course, membership = _course(request, code)
        booking = selectors.help_booking_in(course=course, pk=booking_id)
        data = self.HelpCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if membership.is_staff_role:
            booking = services.help_cancel_by_staff(
                booking=booking, by=request.user, reason=data.validated_data["reason"]
            )
        else:
            booking = services.help_cancel(booking=booking, by=request.user)
        return Response(ProjectHelpBookingOutputSerializer(booking).data)


class HelpAttendanceApi(APIView):
    class HelpAttendanceInputSerializer(serializers.Serializer[Any]):
        attended = serializers.BooleanField(allow_null=True)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    @extend_schema(request=HelpAttendanceInputSerializer, responses=ProjectHelpBookingOutputSerializer)
    def post(self, request: AuthedRequest, code: str, booking_id: int) -> Response:
        course, _ = _course(request, code)
        booking = selectors.help_booking_in(course=course, pk=booking_id)
        data = self.HelpAttendanceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.help_attendance_note(booking=booking, by=request.user, **data.validated_data)
        return Response(ProjectHelpBookingOutputSerializer(booking).data)


class HelpAgendaApi(APIView):
    class HelpAgendaEntrySerializer(serializers.Serializer[Any]):
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        place = serializers.CharField()
        booking = ProjectHelpBookingOutputSerializer(allow_null=True)

    @extend_schema(responses=HelpAgendaEntrySerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = _course(request, code)
        access.require_staff(user=request.user, course=course)
        raw = request.query_params.get("date")
        try:
            day = dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError as exc:
            raise serializers.ValidationError({"date": "Give a date like 2026-04-13."}) from exc
        entries = [
            {
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
                "place": slot.availability.place,
                "booking": next(iter(selectors.active_bookings(slot)), None),
            }
            for slot in selectors.ta_agenda(course=course, ta=request.user, day=day)
        ]
        return Response(self.HelpAgendaEntrySerializer(entries, many=True).data)
