"""LTI 1.3 tool: the LMS (Canvas first) launches coursesite and signs the person in, matched to the roster.

A small implementation of the IMS LTI 1.3 Core and Security Framework on PyJWT and cryptography (see the README
for why not django-lti / pylti1p3): third-party-initiated OIDC login, the id token's checks, the tool's JWKS
with key rotation, platform registration by management commands and the admin."""
