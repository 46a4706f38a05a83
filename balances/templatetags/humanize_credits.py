"""Numbers in the admin's templates as people read them: `{{ n|credits }}`, `{{ n|usd }}` (credits as
dollars), `{{ cost|dollars }}` (an amount in dollars) and `{{ n|count_of:"user" }}` ("1 user", "2 users")."""

from django import template

from librechat.credits import format_count, format_credits, format_dollars, format_usd

register = template.Library()
register.filter("credits", format_credits)
register.filter("usd", format_usd)
register.filter("dollars", format_dollars)
register.filter("count_of", format_count)
