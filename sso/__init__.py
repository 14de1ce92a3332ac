"""Single sign-on: OpenID Connect through the university's identity provider (mozilla-django-oidc), matched to
the roster; the identities it records (issuer and subject, bound once) are shared with the LTI launches."""
