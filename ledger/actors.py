"""Who made a change, as the journal records it."""

import getpass


def os_actor() -> str:
    """The audit actor for the command line: the operating-system user running the command."""
    try:
        return f"{getpass.getuser()} (cli)"
    except (KeyError, OSError):
        return "unknown (cli)"
