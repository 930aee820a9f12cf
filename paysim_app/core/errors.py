"""Domain errors. `code` is an i18n key (see paysim_app/i18n) the UI turns into words."""

from __future__ import annotations


class DomainError(Exception):
    """Anything a user did that the domain refuses; nothing was changed."""

    code = "error.generic"

    def __init__(self, code: str | None = None, field: str | None = None, **params: object):
        self.code = code or self.code
        self.field = field
        self.params = params
        super().__init__(self.code)

    def __reduce__(self):
        # the field and params survive a trip through pickle (a job in another process)
        return (_rebuild, (type(self), self.code, self.field, self.params))


def _rebuild(cls: type[DomainError], code: str, field: str | None, params: dict) -> DomainError:
    return cls(code, field, **params)


class ValidationError(DomainError):
    """Bad input; `field` names the form field when there is one."""

    code = "error.invalid"


class AuthError(DomainError):
    code = "auth.invalid_credentials"


class PermissionDenied(DomainError):
    """The actor may not do this, or the object is not theirs (we never say which)."""

    code = "error.forbidden"


class NotFound(DomainError):
    code = "error.not_found"
