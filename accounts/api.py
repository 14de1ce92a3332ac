"""REST API of accounts: get a token with a password (throttled like the sign-in page), list and revoke yours."""

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coursesite.requests import AuthedRequest

from . import selectors, services, throttle


class ApiTokenSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="the key's first characters; the key itself is shown only once")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="to the minute")
    expires_at = serializers.DateTimeField()


class ObtainTokenApi(APIView):
    authentication_classes: Sequence[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]

    class ObtainTokenInputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
        name = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="e.g. 'laptop'")

    class ObtainTokenOutputSerializer(ApiTokenSerializer):
        token = serializers.CharField(help_text="send as 'Authorization: Token KEY'; keep it secret")

    @extend_schema(
        request=ObtainTokenInputSerializer,
        responses={200: ObtainTokenOutputSerializer, 400: dict, 429: dict},
        summary="A new API token for a username and password (throttled: 429 after too many failures)",
    )
    def post(self, request: Request) -> Response:
        data = self.ObtainTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = {"username": data.validated_data["username"], "password": data.validated_data["password"]}
        user = authenticate(request=request, **credentials)
        if getattr(request, "axes_locked_out", False):
            text, seconds = throttle.lockout_message(request, credentials)
            return Response(
                {"detail": text, "retry_after_s": seconds},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(seconds)},
            )
        if user is None:
            return Response(
                {"detail": "Unable to sign in with that username and password."}, status=status.HTTP_400_BAD_REQUEST
            )
        token, key = services.token_create(user=user, name=data.validated_data.get("name", ""), by=user)
        return Response({"token": key, **ApiTokenSerializer(token).data})


class TokenListApi(APIView):
    @extend_schema(responses=ApiTokenSerializer(many=True), summary="Your API tokens (never their keys)")
    def get(self, request: AuthedRequest) -> Response:
        return Response(ApiTokenSerializer(selectors.tokens_of(user=request.user), many=True).data)


class TokenDetailApi(APIView):
    @extend_schema(request=None, responses={204: None, 404: dict}, summary="Revoke one of your API tokens")
    def delete(self, request: AuthedRequest, pk: int) -> Response:
        token = selectors.token_of(user=request.user, pk=pk)
        if token is None:
            raise NotFound("No such token among yours.")
        services.token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
