"""The error every store raises for an id that is not there, kept outside core.storage so that a
page can catch it without loading SQLAlchemy before it has drawn anything."""


class NotFound(LookupError):
    """No such record for this user (it may belong to someone else, or be deleted): someone
    else's id answers exactly like a missing one."""
