"""Policies as YAML, for review and version control: `manage.py policies export` and `import`.

    policies:
      - name: Students
        priority: 10
        active: true
        notes: ""
        who: {roles: [], groups: [Physics], email_domains: [uni.edu], emails: [], everyone_else: false}
        what: {action: top_up_to, amount_credits: 5000000, cap_credits: null, start_allowance_credits: null}
        when: {frequency: monthly, time: "00:00", weekday: monday, month_day: 1, catch_up: false}

`month_day` is 1 to 28 or `last`; `weekday` is a day's English name. Policies are matched by name.
"""

from dataclasses import dataclass
from datetime import time

import yaml
from django.core.exceptions import ValidationError

from policies.models import Policy

WHO_LISTS = ["roles", "groups", "email_domains", "emails"]
WEEKDAYS = {day.label.lower(): day.value for day in Policy.Weekday}


class PolicyFileError(Exception):
    """The file cannot be imported; the message says where and why."""


def policy_document(policy: Policy) -> dict:
    """One policy as the YAML file holds it."""
    return {
        "name": policy.name,
        "priority": policy.priority,
        "active": policy.active,
        "notes": policy.notes,
        "who": {
            "roles": policy.role_list,
            "groups": policy.group_list,
            "email_domains": policy.domain_list,
            "emails": policy.email_list,
            "everyone_else": policy.everyone_else,
        },
        "what": {
            "action": policy.action,
            "amount_credits": policy.amount_credits,
            "cap_credits": policy.cap_credits,
            "start_allowance_credits": policy.start_allowance_credits,
        },
        "when": {
            "frequency": policy.frequency,
            "time": _time_text(policy.time_of_day),
            "weekday": Policy.Weekday(policy.weekday).label.lower(),
            "month_day": "last" if policy.month_day == Policy.LAST_DAY else policy.month_day,
            "catch_up": policy.catch_up,
        },
    }


def export_policies() -> str:
    documents = [policy_document(policy) for policy in Policy.objects.order_by("priority", "pk")]
    return yaml.safe_dump({"policies": documents}, sort_keys=False, allow_unicode=True)


@dataclass
class Difference:
    name: str
    change: str  # "new", "changed", "unchanged"
    fields: dict[str, tuple[object, object]]
    policy: Policy


def read_policies(text: str) -> list[Policy]:
    """Unsaved policies (existing ones by name, updated in memory), each validated; PolicyFileError otherwise."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyFileError(f"Not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get("policies"), list):
        raise PolicyFileError("The file must hold a mapping with a 'policies' list.")
    policies, seen = [], set()
    for number, entry in enumerate(loaded["policies"], start=1):
        where = f"policy #{number}"
        try:
            policy = _policy_from(entry)
            where = f"policy {policy.name!r}"
            if policy.name in seen:
                raise PolicyFileError("its name appears twice in the file")
            seen.add(policy.name)
            policy.full_clean(validate_unique=False)
        except ValidationError as exc:
            raise PolicyFileError(f"{where}: {'; '.join(_messages(exc))}") from exc
        except (PolicyFileError, TypeError, ValueError) as exc:
            raise PolicyFileError(f"{where}: {exc}") from exc
        policies.append(policy)
    return policies


def differences(policies: list[Policy]) -> list[Difference]:
    """What importing these would change, field by field, against the database."""
    found = []
    for policy in policies:
        stored = Policy.objects.filter(name=policy.name).first()
        if stored is None:
            found.append(Difference(policy.name, "new", {}, policy))
            continue
        before, after = _flat(policy_document(stored)), _flat(policy_document(policy))
        fields = {key: (before[key], after[key]) for key in after if before[key] != after[key]}
        found.append(Difference(policy.name, "changed" if fields else "unchanged", fields, policy))
    return found


def apply_import(found: list[Difference]) -> None:
    for difference in found:
        if difference.change != "unchanged":
            difference.policy.save()


def _policy_from(entry: object) -> Policy:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise PolicyFileError("each policy is a mapping with a name")
    who, what, when = (_mapping(entry, key) for key in ("who", "what", "when"))
    policy = Policy.objects.filter(name=entry["name"].strip()).first() or Policy(name=entry["name"].strip())
    policy.priority = _integer(entry.get("priority", 100), "priority")
    policy.active = _boolean(entry.get("active", True), "active")
    policy.notes = str(entry.get("notes") or "")
    for name in WHO_LISTS:
        values = who.get(name) or []
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise PolicyFileError(f"who.{name} must be a list of texts")
        setattr(policy, name, "\n".join(values))
    policy.everyone_else = _boolean(who.get("everyone_else", False), "who.everyone_else")
    policy.action = str(what.get("action", ""))
    policy.amount_credits = _integer(what.get("amount_credits", 0), "what.amount_credits")
    policy.cap_credits = _optional_integer(what.get("cap_credits"), "what.cap_credits")
    policy.start_allowance_credits = _optional_integer(
        what.get("start_allowance_credits"), "what.start_allowance_credits"
    )
    policy.frequency = str(when.get("frequency", Policy.Frequency.MONTHLY))
    policy.time_of_day = _time(when.get("time", "00:00"))
    weekday = str(when.get("weekday", "monday")).lower()
    if weekday not in WEEKDAYS:
        raise PolicyFileError(f"when.weekday must be one of {', '.join(WEEKDAYS)}")
    policy.weekday = WEEKDAYS[weekday]
    month_day = when.get("month_day", 1)
    policy.month_day = Policy.LAST_DAY if month_day == "last" else _integer(month_day, "when.month_day")
    if not 1 <= policy.month_day <= 28 and policy.month_day != Policy.LAST_DAY:
        raise PolicyFileError("when.month_day must be 1 to 28 or last")
    policy.catch_up = _boolean(when.get("catch_up", False), "when.catch_up")
    return policy


def _mapping(entry: dict, key: str) -> dict:
    value = entry.get(key) or {}
    if not isinstance(value, dict):
        raise PolicyFileError(f"{key} must be a mapping")
    return value


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyFileError(f"{name} must be a whole number, not {value!r}")
    return value


def _optional_integer(value: object, name: str) -> int | None:
    return None if value is None else _integer(value, name)


def _boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyFileError(f"{name} must be true or false, not {value!r}")
    return value


def _time(value: object) -> time:
    # YAML 1.1 reads an unquoted 12:30 as the number 750 (base 60): ask for quotes.
    if not isinstance(value, str):
        raise PolicyFileError(f'when.time must be quoted, like "12:30", not {value!r}')
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise PolicyFileError(f"when.time must be HH:MM, not {value!r}") from exc


def _time_text(value: time | str) -> str:
    return value.strftime("%H:%M") if isinstance(value, time) else str(value)[:5]


def _flat(document: dict) -> dict:
    flat = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": inner_value for inner, inner_value in value.items()})
        else:
            flat[key] = value
    return flat


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {message}" for field, errors in exc.message_dict.items() for message in errors]
    return exc.messages
