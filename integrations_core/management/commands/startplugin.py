"""`python manage.py startplugin NAME`: a new plugin package that passes the contract suite at once."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations_core import registry

TEMPLATES = Path(__file__).resolve().parents[2] / "plugin_template"
ENTRY_POINT_GROUP = '[project.entry-points."integrations.plugins"]'


class Command(BaseCommand):
    help = "Write a new accounting plugin package (hooks, README, contract test) under plugins/."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the provider's name, e.g. 'MYOB' or 'Cin7 Core'")
        parser.add_argument("--key", help="the provider key (lowercase slug); derived from the name by default")
        parser.add_argument("--dir", default=None, help="where to write the package (default: the project's plugins/)")

    def handle(self, *args, **options):
        name = options["name"].strip()
        key = options["key"] or re.sub(r"[^a-z0-9]+", "", name.lower())
        if not re.fullmatch(r"[a-z][a-z0-9]{1,49}", key or ""):
            raise CommandError(f"{key!r} is not a provider key: use lowercase letters and digits, starting with a letter.")
        if key in registry.providers():
            raise CommandError(f"A plugin for provider {key!r} is already installed.")
        project_plugins = Path(settings.BASE_DIR) / "plugins"
        base = Path(options["dir"]).resolve() if options["dir"] else project_plugins
        package = base / key
        if package.exists():
            raise CommandError(f"{package} already exists; choose another name or remove it.")
        module = f"plugins.{key}" if base == project_plugins else key
        values = {"name": name, "key": key, "cls": re.sub(r"[^A-Za-z0-9]", "", name.title()) or key.title(),
                  "module": module}

        (package / "tests").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "tests" / "__init__.py").write_text("")
        for template, target in (("plugin.py.tmpl", "plugin.py"), ("README.md.tmpl", "README.md"),
                                 ("test_contract.py.tmpl", "tests/test_contract.py")):
            (package / target).write_text((TEMPLATES / template).read_text().format(**values))

        line = f'{key} = "{module}.plugin:plugin"'
        if base == project_plugins:
            self._register(line)
            self.stdout.write(f"Wrote {package}; registered its entry point in pyproject.toml. Run `make install`.")
        else:
            self.stdout.write(f"Wrote {package}. Register it with this entry point:\n{ENTRY_POINT_GROUP}\n{line}")

    def _register(self, line: str) -> None:
        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        text = pyproject.read_text()
        if ENTRY_POINT_GROUP not in text:
            raise CommandError("pyproject.toml has no integrations.plugins entry-point group.")
        pyproject.write_text(text.replace(ENTRY_POINT_GROUP, f"{ENTRY_POINT_GROUP}\n{line}", 1))
