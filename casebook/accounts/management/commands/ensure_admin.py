import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

CREDENTIALS_FILE = settings.BASE_DIR / ".admin-credentials"


class Command(BaseCommand):
    help = (
        "Make sure a local administrator exists, without prompting. The first time, create one with a "
        "generated password (or DJANGO_ADMIN_PASSWORD), print it and keep it in .admin-credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DJANGO_ADMIN_USERNAME", "admin"))

    def handle(self, *args, username, **options):
        User = get_user_model()
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing:
            self.stdout.write(
                f"Administrator: {existing.get_username()} (password in .admin-credentials if this command made it; "
                f"to set a new one: python manage.py changepassword {existing.get_username()})"
            )
            return
        password = os.environ.get("DJANGO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        CREDENTIALS_FILE.write_text(f"username: {username}\npassword: {password}\n")
        CREDENTIALS_FILE.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(f"Created administrator “{username}” with password: {password}")
            + "\n(kept in .admin-credentials; log in at /admin/)"
        )
