"""Breadcrumbs that name each list as its page does: Home > History > (a change).

No app crumb: the home page groups the lists in sections rather than by app, so "LibreChat balances"
or "Credit requests" before the list's own name only repeated it.
"""

from django import template
from django.contrib import admin
from django.utils.text import capfirst

register = template.Library()


def list_name(opts) -> str:
    """What the model's list is called on its page ("History", "Balances")."""
    model_admin = admin.site.get_model_admin(opts.model) if admin.site.is_registered(opts.model) else None
    return getattr(model_admin, "list_title", "") or capfirst(opts.verbose_name_plural)


@register.inclusion_tag("admin/list_crumbs.html")
def list_crumbs(opts, link: bool = True) -> dict:
    return {"opts": opts, "list_name": list_name(opts), "link": link}
