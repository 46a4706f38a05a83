"""The README stays true without a running demo: every `manage.py` command it shows exists and its parser
takes the arguments as written, and every setting is documented once in its configuration table and in
`.env.example`, as balancemgr/settings.py reads it."""

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import CommandError, get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# Words the README writes for a value the reader chooses, and one such value each.
PLACEHOLDERS = {"N": "1", "ISO": "2026-12-01T00:00", "R": "a reason", "D": "var"}
COMMAND_WORDS = {"bin/manage", "manage.py", "bin/demo"}
SHELL_SEPARATORS = {">", "|", "&&", ";", "\\"}


def code_in_readme() -> list[str]:
    """Every code block's lines (continuations joined) and every inline code span."""
    blocks = re.findall(r"^ *```[a-z]*\n(.*?)^ *```", README, flags=re.M | re.S)
    lines = [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    prose = re.sub(r"^ *```[a-z]*\n.*?^ *```", "", README, flags=re.M | re.S)
    spans = [" ".join(span.split()).strip('"') for span in re.findall(r"`([^`]+)`", prose)]
    return lines + spans


def readme_commands() -> list[tuple[str, tuple[str, ...]]]:
    """(command, arguments) for each manage.py, bin/manage or bin/demo call the README shows."""
    found = []
    for code in code_in_readme():
        try:
            words = shlex.split(code, comments=True)
        except ValueError:
            continue  # not shell (an nginx or YAML line)
        starts = [index for index, word in enumerate(words) if word in COMMAND_WORDS]
        if not starts:
            continue
        arguments = words[starts[0] + 1 :]
        if words[starts[0]] == "bin/demo":
            arguments.insert(0, "demo")
        for index, word in enumerate(arguments):
            if word in SHELL_SEPARATORS:
                arguments = arguments[:index]
                break
        if arguments:
            found.append((arguments[0], tuple(arguments[1:])))
    return list(dict.fromkeys(found))


def variants(arguments: tuple[str, ...]) -> list[list[str]]:
    """The line without its optional `[...]` parts, then with each of them; placeholders get a value."""
    required, optional, group = [], [], None
    for word in arguments:
        if word.startswith("[") and group is None:
            group, word = [], word[1:]
        if group is None:
            required.append(word)
            continue
        group.append(word.removesuffix("]"))
        if word.endswith("]"):
            optional.append(group)
            group = None
    lines = [required] + [required + part for part in optional]
    return [[PLACEHOLDERS.get(word, word) for word in line] for line in lines]


def parser_for(command: str):
    return load_command_class(get_commands()[command], command).create_parser("manage.py", command)


def test_the_readme_starts_with_the_two_set_up_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, flags=re.S).group(1)
    commands = [shlex.split(line, comments=True) for line in first_block.splitlines()]
    assert commands == [["bin/demo"], ["bin/test"]]
    assert all((ROOT / "bin" / name).stat().st_mode & 0o111 for name in ("demo", "test"))


def test_the_readme_shows_the_management_commands():
    commands = {command for command, _ in readme_commands()}
    assert {"demo", "list_balances", "bulk_topup", "policies", "reconcile_balances", "create_api_key"} <= commands


@pytest.mark.parametrize(
    ("command", "arguments"),
    readme_commands(),
    ids=lambda value: value if isinstance(value, str) else shlex.join(value),
)
def test_every_management_command_the_readme_shows_exists_and_takes_its_arguments(command, arguments):
    assert command in get_commands(), f"the README shows `manage.py {command}`, which does not exist"
    parser = parser_for(command)
    alternatives = [word for word in arguments if "|" in word]
    if alternatives:
        # `policies list|members|...`: each one a subcommand, whose own arguments the README shows elsewhere.
        [subcommands] = [action.choices for action in parser._actions if isinstance(action.choices, dict)]
        assert set(alternatives[0].split("|")) <= set(subcommands)
        return
    for line in variants(arguments):
        try:
            parser.parse_args(line)
        except CommandError as exc:
            pytest.fail(f"manage.py {command} {shlex.join(line)}: {exc}")


# Where a setting is read: Python (django-environ, os.environ, email_settings' mapping) and compose.
SETTING_READ = re.compile(r"""(?:\benv(?:\.\w+)?|environ(?:ment)?\.get|environ)\s*[(\[]\s*["']([A-Z][A-Z0-9_]*)["']""")
SETTING_PREFIX_READ = re.compile(r"""startswith\(\s*["']([A-Z][A-Z0-9_]*_)["']\)""")
NOT_PRODUCT_CODE = {".venv", ".cache", "tests", "bench", "node_modules"}


def settings_read() -> set[str]:
    """Every environment variable the product reads; `ANYMAIL_*` for a family read by its prefix."""
    names = set()
    for path in ROOT.rglob("*.py"):
        if not NOT_PRODUCT_CODE.intersection(path.relative_to(ROOT).parts):
            text = path.read_text()
            names |= set(SETTING_READ.findall(text)) | {f"{prefix}*" for prefix in SETTING_PREFIX_READ.findall(text)}
    for path in [*ROOT.glob("compose*.yaml"), ROOT / "Dockerfile"]:
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", path.read_text()))
    return names


def configuration_table() -> dict[str, str]:
    """{name: meaning} of each row of the README's configuration table (a row may name several)."""
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `"):
            for name in re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", cells[0]):
                assert name not in rows, f"{name} is in the README's configuration table twice"
                rows[name] = cells[-1]
    return rows


def env_example() -> list[str]:
    """The names `.env.example` sets or shows commented out, in order."""
    text = (ROOT / ".env.example").read_text()
    return re.findall(r"^#? *([A-Z][A-Z0-9_]*)=", text, flags=re.M)


def family(name: str, documented: set[str]) -> str:
    """`ANYMAIL_MAILGUN_API_KEY` is documented as `ANYMAIL_*`."""
    return next((entry for entry in documented if entry.endswith("*") and name.startswith(entry[:-1])), name)


def test_every_setting_the_product_reads_is_in_the_readmes_configuration_table():
    documented = set(configuration_table())
    assert {family(name, documented) for name in settings_read()} - documented == set()


def test_every_documented_setting_is_read_by_the_product():
    assert set(configuration_table()) - settings_read() == set()


def test_env_example_shows_each_documented_setting_once_except_those_for_tests():
    table, example = configuration_table(), env_example()
    assert sorted({name for name in example if example.count(name) > 1}) == []
    for_installs = {name for name, meaning in table.items() if not meaning.startswith("Tests only")}
    assert {family(name, set(table)) for name in example} == for_installs
