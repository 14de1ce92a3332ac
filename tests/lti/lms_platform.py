"""A small LTI 1.3 platform (an LMS) for the tests, run as its own process: `python lms_platform.py`.

It follows the IMS LTI 1.3 Core and Security Framework: its own RSA key and JWKS, third-party-initiated login
(it sends the browser to the tool's login URL), an OIDC authorization endpoint that checks the tool's
authentication request (client, redirect URI, response type and mode, scope, prompt, login hint, nonce and
state present) and answers with a signed id token posted to the tool's redirect URI (form_post).

Configuration in the environment: LTI_PORT, LTI_CLIENT_ID, LTI_DEPLOYMENT_ID, LTI_TOOL_LOGIN_URL,
LTI_TOOL_LAUNCH_URL, LTI_USERS (JSON: {"<key>": {"sub", "name", "email", "roles": [...], "custom": {...}}}).
The course page `/course?user=KEY[&target=URL][&deployment=ID][&mode=M]` starts a launch; the modes exist for
the tests of the tool's refusals: `expired` (an expired token), `forged` (signed with a key not in the JWKS),
`token-deployment` (the token names a deployment other than the login's).
Assignment and Grade Services 2.0: launches carry the AGS endpoint claim (line items URL and scopes); the token
endpoint grants the AGS scopes to the tool's client assertion (checked against the tool's JWKS); the line items
container answers GET (filtered by resource_id, tag) and POST (a new line item), and `<line item>/scores` takes
POSTed scores; a placed link with a lineItem (Deep Linking) gets a line item. It refuses as Canvas does where the
tests ask it to (PUT /ags {"not_students": [sub, ...], "unpublished": bool, "unavailable": N}): a user who is not
a student (422, "User not found in course or is not a student"), an unpublished course (403, "Course not
published"), and N server errors (503) before it answers. PUT /ags {"reset": true} empties the gradebook,
{"lineitems": [...]} adds columns; GET /ags-state shows the line items and scores it holds.
Prints "ready <issuer>" once it listens.
"""

import datetime as dt
import html
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
PORT = int(os.environ["LTI_PORT"])
ISSUER = f"http://127.0.0.1:{PORT}"
CLIENT_ID = os.environ["LTI_CLIENT_ID"]
DEPLOYMENT_ID = os.environ["LTI_DEPLOYMENT_ID"]
TOOL_LOGIN_URL = os.environ["LTI_TOOL_LOGIN_URL"]
TOOL_LAUNCH_URL = os.environ["LTI_TOOL_LAUNCH_URL"]
TOOL_JWKS_URL = os.environ["LTI_TOOL_JWKS_URL"]
USERS = json.loads(os.environ["LTI_USERS"])
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
KID = "platform-key-1"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # never published
_hints: dict[str, dict] = {}
_deep_link_data: set[str] = set()  # the `data` of deep-linking requests not answered yet
_placed: list[dict] = []  # the resource links the tool placed in the course (Deep Linking responses)
_tokens: dict[str, set[str]] = {}  # access tokens granted to the tool (client credentials) -> their scopes
_members: list[dict] = []  # the course's members for NRPS: {"user": KEY, "status": ...}, set by PUT /members
MEMBERSHIPS_PATH = "/memberships/canvas-course-4711"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
AGS_SCOPES = [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS + "score"]
LINEITEMS_PATH = "/api/lti/courses/4711/line_items"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
_lineitems: list[dict] = []
_scores: list[dict] = []  # every score accepted, with "lineitem": the line item's id
_ags_rules: dict = {"not_students": [], "unpublished": False, "unavailable": 0}
_lock = threading.Lock()


def _lineitem_add(item: dict) -> dict:
    """A new gradebook column (the caller holds the lock)."""
    item = {**item, "id": f"{ISSUER}{LINEITEMS_PATH}/{len(_lineitems) + 1}"}
    _lineitems.append(item)
    return item


def _jwks() -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}


def _autopost(url: str, fields: dict[str, str], title: str) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f'<body onload="document.forms[0].submit()"><form method="post" action="{html.escape(url)}">'
        f'{inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>'
    )


def _id_token(launch: dict, nonce: str) -> str:
    user = USERS[launch["user"]]
    now = int(time.time())
    issued = now - 3600 if launch["mode"] == "expired" else now
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "azp": CLIENT_ID,
        "sub": user["sub"],
        "iat": issued,
        "exp": issued + 300,
        "nonce": nonce,
        "name": user.get("name", ""),
        "email": user.get("email", ""),
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "resource_link": {"id": "course-navigation-link", "title": "coursesite"},
        # mode "token-deployment": the login named the right deployment, the token another one.
        LTI + "deployment_id": "not-registered" if launch["mode"] == "token-deployment" else launch["deployment"],
        LTI + "target_link_uri": launch["target"],
        LTI + "roles": user.get("roles", []),
        LTI + "context": {"id": "canvas-course-4711", "label": "DD2424", "title": "Deep Learning"},
        LTI + "custom": user.get("custom", {}),
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": ISSUER + MEMBERSHIPS_PATH,
            "service_versions": ["2.0"],
        },
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": AGS_SCOPES,
            "lineitems": ISSUER + LINEITEMS_PATH,
        },
    }
    if launch["message"] == "deeplink":
        # Deep Linking 2.0, 4.4: the request carries where to answer and what the platform accepts.
        claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
        del claims[LTI + "resource_link"]
        data = secrets.token_urlsafe(12)
        with _lock:
            _deep_link_data.add(data)
        claims[DL + "deep_linking_settings"] = {
            "deep_link_return_url": f"{ISSUER}/deep-link-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": False,
            "data": data,
        }
    key = FORGER if launch["mode"] == "forged" else KEY
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass

    def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/jwks":
            return self._send(200, json.dumps(_jwks()), "application/json")
        if parts.path == "/course":
            return self._course(query)
        if parts.path == "/auth":
            return self._auth(query)
        if parts.path == "/placed":
            return self._send(200, json.dumps(_placed), "application/json")
        if parts.path == MEMBERSHIPS_PATH:
            return self._memberships(query)
        if parts.path == LINEITEMS_PATH:
            return self._lineitems_get(query)
        if parts.path == "/ags-state":
            with _lock:
                return self._send(200, json.dumps({"lineitems": _lineitems, "scores": _scores}), "application/json")
        return self._send(404, "not found", "text/plain")

    def do_PUT(self) -> None:  # noqa: N802 (the base class's name)
        """The tests set who is in the LMS course (the NRPS answer, /members) and how AGS refuses (/ags)."""
        length = int(self.headers.get("Content-Length", "0"))
        data = json.loads(self.rfile.read(length))
        with _lock:
            if urlsplit(self.path).path == "/ags":
                if data.pop("reset", False):  # a test starts from an empty gradebook
                    _lineitems.clear()
                    _scores.clear()
                    _ags_rules.update(not_students=[], unpublished=False, unavailable=0)
                for item in data.pop("lineitems", []):  # columns already in the course (made by a placement)
                    _lineitem_add(item)
                _ags_rules.update(data)
            else:
                _members[:] = data
        return self._send(204, "", "text/plain")

    def _granted(self, *scopes: str) -> bool:
        auth = self.headers.get("Authorization", "")
        with _lock:
            granted = _tokens.get(auth[7:], set()) if auth.startswith("Bearer ") else set()
        return any(scope in granted for scope in scopes)

    def _lineitems_get(self, query: dict[str, str]) -> None:
        """AGS 2.0, 3.2: the line items container, filtered by resource_id, resource_link_id and tag."""
        if not self._granted(AGS + "lineitem", AGS + "lineitem.readonly"):
            return self._send(401, json.dumps({"errors": [{"message": "Invalid access token"}]}), "application/json")
        with _lock:
            items = [
                i
                for i in _lineitems
                if all(
                    i.get(field) == query[name]
                    for name, field in (
                        ("resource_id", "resourceId"),
                        ("tag", "tag"),
                        ("resource_link_id", "resourceLinkId"),
                    )
                    if name in query
                )
            ]
        return self._send(200, json.dumps(items), "application/vnd.ims.lis.v2.lineitemcontainer+json")

    def _lineitem_post(self, body: bytes) -> None:
        """AGS 2.0, 3.2.6: a new line item (a gradebook column)."""
        if not self._granted(AGS + "lineitem"):
            return self._send(401, json.dumps({"errors": [{"message": "Invalid access token"}]}), "application/json")
        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json":
            return self._send(415, "unsupported media type", "text/plain")
        item = json.loads(body)
        maximum = item.get("scoreMaximum")
        if not isinstance(maximum, int | float) or maximum <= 0 or not item.get("label"):
            return self._send(
                400, json.dumps({"errors": {"message": "scoreMaximum and label required"}}), "application/json"
            )
        with _lock:
            item = _lineitem_add(item)
        return self._send(201, json.dumps(item), "application/vnd.ims.lis.v2.lineitem+json")

    def _score_post(self, lineitem_id: str, body: bytes) -> None:
        """AGS 2.0, 3.4: a score for one user; refused as Canvas does where the tests set it up."""
        canvas_error = "application/json"
        if not self._granted(AGS + "score"):
            return self._send(401, json.dumps({"errors": [{"message": "Invalid access token"}]}), canvas_error)
        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
            return self._send(415, "unsupported media type", "text/plain")
        with _lock:
            known = any(i["id"] == lineitem_id for i in _lineitems)
            rules = dict(_ags_rules)
            if rules["unavailable"] > 0:
                _ags_rules["unavailable"] -= 1
        if not known:
            return self._send(
                404, json.dumps({"errors": {"message": "The specified resource does not exist."}}), canvas_error
            )
        if rules["unavailable"] > 0:
            return self._send(503, "service unavailable", "text/plain")
        if rules["unpublished"]:
            return self._send(
                403, json.dumps({"errors": {"type": "forbidden", "message": "Course not published"}}), canvas_error
            )
        score = json.loads(body)
        learners = {u["sub"] for u in USERS.values() if LEARNER in u.get("roles", [])}
        if score.get("userId") not in learners or score.get("userId") in rules["not_students"]:
            message = "User not found in course or is not a student"
            return self._send(
                422, json.dumps({"errors": {"type": "unprocessable_entity", "message": message}}), canvas_error
            )
        problems = []
        if score.get("activityProgress") not in {"Initialized", "Started", "InProgress", "Submitted", "Completed"}:
            problems.append("activityProgress")
        if score.get("gradingProgress") not in {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}:
            problems.append("gradingProgress")
        if "scoreGiven" in score and not (
            isinstance(score["scoreGiven"], int | float)
            and score["scoreGiven"] >= 0
            and isinstance(score.get("scoreMaximum"), int | float)
            and score["scoreMaximum"] > 0
        ):
            problems.append("scoreGiven needs a scoreMaximum")
        try:
            stamp = dt.datetime.fromisoformat(score.get("timestamp", ""))
            if stamp.tzinfo is None:
                problems.append("timestamp without time zone")
        except (TypeError, ValueError):
            problems.append("timestamp")
        if problems:
            return self._send(
                400, json.dumps({"errors": {"message": "invalid score: " + ", ".join(problems)}}), canvas_error
            )
        with _lock:
            _scores.append({**score, "lineitem": lineitem_id})
        return self._send(
            200, json.dumps({"resultUrl": f"{lineitem_id}/results/{score['userId']}"}), "application/json"
        )

    def _token(self, form: dict[str, str]) -> None:
        """The token endpoint: client credentials with the tool's signed JWT assertion (Security Framework 4.1)."""
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return self._send(400, json.dumps({"error": "unsupported_grant_type"}), "application/json")
        try:
            assertion = form.get("client_assertion", "")
            key = jwt.PyJWKClient(TOOL_JWKS_URL).get_signing_key_from_jwt(assertion)
            claims = jwt.decode(
                assertion,
                key.key,
                algorithms=["RS256"],
                audience=ISSUER + "/token",
                issuer=CLIENT_ID,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
        except jwt.PyJWTError:
            return self._send(401, json.dumps({"error": "invalid_client"}), "application/json")
        asked = set(form.get("scope", "").split())
        granted = asked & {NRPS_SCOPE, *AGS_SCOPES}
        if claims["sub"] != CLIENT_ID or not granted or granted != asked:
            return self._send(400, json.dumps({"error": "invalid_scope"}), "application/json")
        token = secrets.token_urlsafe(24)
        with _lock:
            _tokens[token] = granted
        body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": " ".join(sorted(granted))}
        return self._send(200, json.dumps(body), "application/json")

    def _memberships(self, query: dict[str, str]) -> None:
        """NRPS 2.0: the course's members, two a page (Link: rel="next"), with their launch's custom
        parameters when asked for a resource link (rlid)."""
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or NRPS_SCOPE not in _tokens.get(auth[7:], set()):
            return self._send(401, "unauthorized", "text/plain")
        if "application/vnd.ims.lti-nrps.v2.membershipcontainer+json" not in self.headers.get("Accept", ""):
            return self._send(406, "not acceptable", "text/plain")
        page = int(query.get("page", "0"))
        with _lock:
            chosen = list(_members)
        members = []
        for entry in chosen[page * 2 : page * 2 + 2]:
            user = USERS[entry["user"]]
            member = {
                "status": entry.get("status", "Active"),
                "user_id": user["sub"],
                "name": user.get("name", ""),
                "email": user.get("email", ""),
                "roles": user.get("roles", []),
            }
            if query.get("rlid"):
                member["message"] = [{LTI + "custom": user.get("custom", {})}]
            members.append(member)
        body = json.dumps(
            {"id": ISSUER + MEMBERSHIPS_PATH, "context": {"id": "canvas-course-4711"}, "members": members}
        )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        self.send_header("Content-Length", str(len(data)))
        if (page + 1) * 2 < len(chosen):
            rlid = f"&rlid={query['rlid']}" if query.get("rlid") else ""
            self.send_header("Link", f'<{ISSUER}{MEMBERSHIPS_PATH}?page={page + 1}{rlid}>; rel="next"')
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (the base class's name)
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if path == LINEITEMS_PATH:
            return self._lineitem_post(body)
        if path.startswith(LINEITEMS_PATH + "/") and path.endswith("/scores"):
            return self._score_post(ISSUER + path.removesuffix("/scores"), body)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if path == "/token":
            return self._token(form)
        if path == "/deep-link-return":
            return self._deep_link_return(form.get("JWT", ""))
        return self._send(404, "not found", "text/plain")

    def _deep_link_return(self, token: str) -> None:
        """The tool's LtiDeepLinkingResponse (Deep Linking 2.0, 4.5): verified with the tool's JWKS."""
        try:
            key = jwt.PyJWKClient(TOOL_JWKS_URL).get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=ISSUER, issuer=CLIENT_ID)
        except jwt.PyJWTError as exc:
            return self._send(400, f"invalid deep linking response: {exc}", "text/plain")
        problems = []
        if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse" or claims.get(LTI + "version") != "1.3.0":
            problems.append("not an LTI 1.3 deep linking response")
        if claims.get(LTI + "deployment_id") != DEPLOYMENT_ID:
            problems.append("wrong deployment")
        with _lock:
            if claims.get(DL + "data") not in _deep_link_data:
                problems.append("data does not match an open request")
            _deep_link_data.discard(claims.get(DL + "data"))
        items = claims.get(DL + "content_items", [])
        if not items or any(i.get("type") != "ltiResourceLink" or not i.get("url") for i in items):
            problems.append("content items must be LTI resource links with a url")
        if problems:
            return self._send(400, "invalid deep linking response: " + "; ".join(problems), "text/plain")
        with _lock:
            _placed.extend(items)
            for item in items:  # Deep Linking 2.0, 3.4.2: a link with a lineItem gets a gradebook column
                if isinstance(item.get("lineItem"), dict):
                    _lineitem_add({**item["lineItem"], "resourceLinkId": secrets.token_urlsafe(8)})
        links = "".join(
            f'<li><a href="/course?{html.escape(urlencode({"user": "alice", "target": i["url"]}))}">'
            f"{html.escape(i['title'])}</a></li>"
            for i in items
        )
        return self._send(200, f"<!doctype html><h1>Placed in the course</h1><ul>{links}</ul>")

    def _course(self, query: dict[str, str]) -> None:
        """The LMS's course page: the person opens the tool (third-party-initiated login, Core 5.1.1)."""
        if query.get("user") not in USERS:
            return self._send(400, "unknown user", "text/plain")
        hint = secrets.token_urlsafe(16)
        launch = {
            "user": query["user"],
            "deployment": query.get("deployment", DEPLOYMENT_ID),
            "target": query.get("target", TOOL_LAUNCH_URL),
            "mode": query.get("mode", ""),
            "message": query.get("message", ""),
        }
        with _lock:
            _hints[hint] = launch
        fields = {
            "iss": ISSUER,
            "login_hint": query["user"],
            "target_link_uri": launch["target"],
            "lti_message_hint": hint,
            "client_id": CLIENT_ID,
            "lti_deployment_id": launch["deployment"],
        }
        return self._send(200, _autopost(TOOL_LOGIN_URL, fields, "Canvas course"))

    def _auth(self, query: dict[str, str]) -> None:
        """The authorization endpoint: checks the tool's authentication request (Security Framework 5.1.1.2)."""
        problems = []
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": CLIENT_ID,
            "redirect_uri": TOOL_LAUNCH_URL,
        }
        for name, value in expected.items():
            if query.get(name) != value:
                problems.append(f"{name} is {query.get(name)!r}, not {value!r}")
        with _lock:
            launch = _hints.pop(query.get("lti_message_hint", ""), None)
        if launch is None:
            problems.append("unknown or reused lti_message_hint")
        elif query.get("login_hint") != launch["user"]:
            problems.append("login_hint does not match")
        if not query.get("nonce") or not query.get("state"):
            problems.append("nonce and state are required")
        if problems:
            return self._send(400, "invalid authentication request: " + "; ".join(problems), "text/plain")
        id_token = _id_token(launch, query["nonce"])
        return self._send(200, _autopost(TOOL_LAUNCH_URL, {"id_token": id_token, "state": query["state"]}, "Launching"))


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"ready {ISSUER}", flush=True)
    server.serve_forever()
