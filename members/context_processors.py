from .access import is_approved_member


def membership(request):
    """Lets every page leave out links a signed-in member cannot open yet."""
    user = getattr(request, "user", None)
    return {"can_use_member_pages": user is not None and is_approved_member(user)}
