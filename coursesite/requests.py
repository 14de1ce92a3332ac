"""Request types for views whose user is signed in (login_required pages, the API's authenticated views).

`request.user` is `User | AnonymousUser` to the type checker; behind `login_required` (pages) or DRF's
IsAuthenticated (the API's default permission) it is always a `User`. Annotate such views with these aliases:

    def assignment_list(request: AuthedHttpRequest, code: str) -> HttpResponse: ...
    class AssignmentListApi(APIView):
        def get(self, request: AuthedRequest, code: str) -> Response: ...
"""

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from .models import User

    class AuthedHttpRequest(HttpRequest):
        user: User

    class AuthedRequest(Request):
        user: User

else:
    AuthedHttpRequest = HttpRequest
    AuthedRequest = Request
