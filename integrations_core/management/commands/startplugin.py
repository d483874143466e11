"""`python manage.py startplugin NAME [--dir PATH]`: a new plugin that passes the contract suite at once.

Without --dir: a package under the project's plugins/ on the stub store, its entry point registered in
pyproject.toml. With --dir PATH: a standalone distribution in PATH (pyproject.toml with its entry points, the
package, a fake remote of its own, its contract harness, tests/test_contract.py, a README) that imports from
the framework only `integrations_core.hookspecs`, `.errors` and `.models`.
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations_core import registry

TEMPLATES = Path(__file__).resolve().parents[2] / "plugin_template"
ENTRY_POINT_GROUP = '[project.entry-points."integrations.plugins"]'
HARNESS_GROUP = '[project.entry-points."integrations.contract_harness"]'

# Standalone distribution: template -> where it goes ({key} is the package).
STANDALONE = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("plugin.py.tmpl", "{key}/plugin.py"),
    ("remote.py.tmpl", "{key}/remote.py"),
    ("contract_harness.py.tmpl", "{key}/contract_harness.py"),
    ("test_contract.py.tmpl", "tests/test_contract.py"),
)


class Command(BaseCommand):
    help = ("Write a new accounting plugin: a package under plugins/ (registered in pyproject.toml), or with --dir "
            "a standalone distribution that passes the contract suite where it stands.")

    def add_arguments(self, parser):
        parser.add_argument("name", help="the provider's name, e.g. 'MYOB' or 'Cin7 Core'")
        parser.add_argument("--key", help="the provider key (lowercase slug); derived from the name by default")
        parser.add_argument("--dir", default=None,
                            help="write a standalone distribution (pyproject.toml, package, tests) in this "
                                 "directory (default: a package in the project's plugins/)")

    def handle(self, *args, **options):
        name = options["name"].strip()
        key = options["key"] or re.sub(r"[^a-z0-9]+", "", name.lower())
        if not re.fullmatch(r"[a-z][a-z0-9]{1,49}", key or ""):
            raise CommandError(f"{key!r} is not a provider key: use lowercase letters and digits, starting with a letter.")
        if key in registry.providers():
            raise CommandError(f"A plugin for provider {key!r} is already installed.")
        project_plugins = Path(settings.BASE_DIR) / "plugins"
        base = Path(options["dir"]).resolve() if options["dir"] else project_plugins
        values = {"name": name, "key": key, "cls": re.sub(r"[^A-Za-z0-9]", "", name.title()) or key.title(),
                  "module": f"plugins.{key}" if base == project_plugins else key,
                  "dist": f"integrations-{key}", "env": f"{key.upper()}_FAKE_REMOTE_DIR"}
        if base == project_plugins:
            self._in_project(base / key, values)
        else:
            self._standalone(base, values)

    def _in_project(self, package: Path, values: dict) -> None:
        """Today's shape: a package in plugins/ on the stub store, registered in the project's pyproject.toml."""
        if package.exists():
            raise CommandError(f"{package} already exists; choose another name or remove it.")
        (package / "tests").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "tests" / "__init__.py").write_text("")
        for template, target in (("plugin.py.tmpl", "plugin.py"), ("README.md.tmpl", "README.md"),
                                 ("test_contract.py.tmpl", "tests/test_contract.py")):
            (package / target).write_text((TEMPLATES / template).read_text().format(**values))
        self._register(f'{values["key"]} = "{values["module"]}.plugin:plugin"')
        self.stdout.write(f"Wrote {package}; registered its entry point in pyproject.toml. Run `make install`.")

    def _standalone(self, dist: Path, values: dict) -> None:
        key = values["key"]
        taken = [p for p in (dist / "pyproject.toml", dist / key, dist / "tests" / "test_contract.py") if p.exists()]
        if taken:
            raise CommandError(f"{', '.join(map(str, taken))} already exist(s); choose another directory.")
        files = {target.format(key=key): (TEMPLATES / "standalone" / template).read_text().format(**values)
                 for template, target in STANDALONE}
        files[f"{key}/__init__.py"] = f'"""{values["name"]}: an accounting plugin for the integrations framework."""\n'
        for target, text in files.items():
            path = dist / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.stdout.write(
            f"Wrote the distribution {values['dist']} in {dist}, with its entry points:\n"
            f"{ENTRY_POINT_GROUP}\n{key} = \"{key}.plugin:plugin\"\n"
            f"{HARNESS_GROUP}\n{key} = \"{key}.contract_harness:{values['cls']}Harness\"\n"
            f"Install it into the framework's environment and run the contract suite against it:\n"
            f"  cd {dist}\n  pip install -e .\n  python -m integrations_core.contract {key}")

    def _register(self, line: str) -> None:
        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        text = pyproject.read_text()
        if ENTRY_POINT_GROUP not in text:
            raise CommandError("pyproject.toml has no integrations.plugins entry-point group.")
        pyproject.write_text(text.replace(ENTRY_POINT_GROUP, f"{ENTRY_POINT_GROUP}\n{line}", 1))
