from django import template

from librechat.credits import format_credits, format_usd

register = template.Library()
register.filter("credits", format_credits)
register.filter("usd", format_usd)
