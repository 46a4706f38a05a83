import os
import secrets
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from pymongo import MongoClient

from librechat.demo_data import add_example_user
from librechat.embedded_mongo import start_embedded_mongo, stop_embedded_mongo

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_EMAIL = "admin@example.com"
# Where bin/manage finds the running demo's settings (in the demo's data directory).
DEMO_ENV_FILENAME = "demo.env"


class Command(BaseCommand):
    help = (
        "Run the whole product locally with no MongoDB installed: an embedded MongoDB-compatible "
        "server with its data in var/, demo LibreChat data on first run, a demo superuser, "
        "migrations, the batch worker and the development server. Ctrl-C or SIGTERM stops everything."
    )
    # The demo provides the MongoDB that the system checks would otherwise miss.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Web port (default 8000).")
        parser.add_argument("--mongo-port", type=int, default=27018, help="Embedded MongoDB port.")
        parser.add_argument("--users", type=int, default=200, help="Demo users on first run.")
        parser.add_argument("--data-dir", type=Path, help="Where the embedded MongoDB keeps its data (default var/).")

    def handle(self, *args, port, mongo_port, users, data_dir, **options):
        # `docker stop`, `timeout` and service managers send SIGTERM: shut down as for Ctrl-C.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        data_dir = data_dir or settings.VAR_DIR
        data_dir.mkdir(parents=True, exist_ok=True)
        storage_path = data_dir / "mongo"
        self.stdout.write(f"Starting the embedded MongoDB on 127.0.0.1:{mongo_port} ({storage_path})")
        server = start_embedded_mongo(str(storage_path), mongo_port)
        mongo_uri = f"mongodb://127.0.0.1:{mongo_port}/LibreChat"
        # The embedded server scans a whole collection per query: a week per usage aggregation
        # keeps the first analytics refresh of the demo's month to a few round trips.
        # Without NOTIFY_TO a request from /request/ would mail nobody and the demo would show nothing;
        # the superuser's address is known after migrate, and each command before it would warn W010.
        notify_to = os.environ.get("NOTIFY_TO")
        demo_settings = {
            "MONGO_URI": mongo_uri,
            "DEBUG": "1",
            "USAGE_CHUNK_HOURS": "168",
            "NOTIFY_TO": notify_to or DEMO_ADMIN_EMAIL,
        }
        if "DATABASE_URL" in os.environ:
            demo_settings["DATABASE_URL"] = os.environ["DATABASE_URL"]
        child_env = {**os.environ, **demo_settings}
        env_file = data_dir / DEMO_ENV_FILENAME
        write_env_file(env_file, demo_settings)

        def manage(*arguments: str) -> None:
            subprocess.run([sys.executable, "manage.py", *arguments], env=child_env, check=True)

        try:
            manage("migrate", "--no-input", "--verbosity", "0")
            with MongoClient(mongo_uri) as client:
                seeded = client.get_default_database().users.count_documents({}, limit=1)
                if not seeded:
                    manage("seed_demo", "--users", str(users))
                    add_example_user(client.get_default_database())
            # Usage analytics read rollups: build them now (incremental after the first start).
            manage("refresh_usage")
            admin_email = self.ensure_demo_superuser(env_file)
            demo_settings["NOTIFY_TO"] = notify_to or admin_email
            demo_settings["WEBHOOK_BASE_URL"] = os.environ.get("WEBHOOK_BASE_URL") or f"http://127.0.0.1:{port}"
            child_env.update(demo_settings)
            write_env_file(env_file, demo_settings)
            self.stdout.write(self.style.SUCCESS(f"Open http://127.0.0.1:{port}/admin/"))
            self.stdout.write(f"Admin mails about credit requests go to {demo_settings['NOTIFY_TO']} (printed here).")
            self.stdout.write(f"Management commands against this demo: {manage_command_line(env_file)} list_balances")
            # The worker applies large batches and sends mail; without the reloader, runserver is one process
            # that stopping the demo really stops (its reloader child used to keep the port).
            workers = [
                subprocess.Popen([sys.executable, "manage.py", *command], env=child_env)
                for command in (["ledger_worker"], ["policy_scheduler"], ["send_alerts", "--loop"])
            ]
            try:
                manage("runserver", "--noreload", f"127.0.0.1:{port}")
            finally:
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    worker.wait(timeout=10)
        except KeyboardInterrupt:
            pass
        finally:
            stop_embedded_mongo(server)
            env_file.unlink(missing_ok=True)
            self.stdout.write("Stopped.")

    def ensure_demo_superuser(self, env_file: Path) -> str:
        """Create the demo superuser on the first run; returns its email."""
        from django.contrib.auth import get_user_model

        User = get_user_model()
        existing = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        if existing is not None:
            self.stdout.write(
                f"Log in as {DEMO_ADMIN_USERNAME!r} with the password printed on the first run "
                f"(or reset it: {manage_command_line(env_file)} changepassword {DEMO_ADMIN_USERNAME})."
            )
            return existing.email or DEMO_ADMIN_EMAIL
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_ADMIN_USERNAME, DEMO_ADMIN_EMAIL, password)
        self.stdout.write(self.style.WARNING(f"Demo superuser: {DEMO_ADMIN_USERNAME} / {password}"))
        return DEMO_ADMIN_EMAIL


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """The demo's settings as `NAME='value'` lines, which both a shell and django-environ read."""
    path.write_text("".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items()))


def manage_command_line(env_file: Path) -> str:
    """`bin/manage`, naming the env file when it is not the default one bin/manage reads."""
    if env_file.resolve() == (settings.VAR_DIR / DEMO_ENV_FILENAME).resolve():
        return "bin/manage"
    return f"DEMO_ENV_FILE={shlex.quote(str(env_file))} bin/manage"


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt
