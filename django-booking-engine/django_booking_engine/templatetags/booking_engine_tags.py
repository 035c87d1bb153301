from __future__ import annotations

from typing import Any

from django import template

from ..users import roles

register = template.Library()


@register.simple_tag(takes_context=True)
def booking_roles(context: Any) -> set[str]:
    """The current user's roles (the role hook), for the navigation."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return roles(user) if user is not None and user.is_authenticated else set()
