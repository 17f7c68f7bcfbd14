"""Pass's translation catalogues: bring them up to date, or check them (``make test`` does).

    python scripts/messages.py update   # after changing a string: new msgids into every .po,
                                        # English filled from the source, every .mo compiled
    python scripts/messages.py check    # fails on anything that would show a user English

``check`` fails when a catalogue (orders_app/locale/<lang>/LC_MESSAGES/django.po or
djangojs.po) has an untranslated or fuzzy entry or a format mismatch (``msgfmt --check
--statistics``), when a compiled .mo is not the .po's, or when the templates, the Python
modules or the scripts hold a msgid the catalogue lacks (``makemessages`` run on a copy of
the sources, compared with ``msgcmp``). Needs Debian's gettext (``.ci/system-deps``).
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "orders_app" / "locale"
LANGUAGES = ("az", "ru", "en")
DOMAINS = ("django", "djangojs")
# What makemessages reads: the app, the project's templates and scripts (not the simulator's
# data, the tests or the virtualenv).
SOURCES = ("manage.py", "dashboard", "orders_app", "templates", "static")
IGNORE = ("orders_app/clopos/simulator/*", "orders_app/migrations/*", "*/vendor/*")


def _run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _makemessages(cwd: Path, *extra: str) -> None:
    for domain in DOMAINS:
        args = [sys.executable, "manage.py", "makemessages", "-d", domain, "--no-obsolete"]
        args += [f"--locale={lang}" for lang in LANGUAGES]
        args += [f"--ignore={pattern}" for pattern in IGNORE]
        if domain == "djangojs":
            args += ["--extension=js", "--ignore=static/vendor/*"]
        done = _run([*args, *extra], cwd=cwd)
        if done.returncode != 0:
            raise SystemExit(f"makemessages failed:\n{done.stdout}{done.stderr}")


def catalogues() -> list[Path]:
    return [LOCALE / lang / "LC_MESSAGES" / f"{d}.po" for lang in LANGUAGES for d in DOMAINS]


def update() -> None:
    _makemessages(ROOT)
    for domain in DOMAINS:
        po = LOCALE / "en" / "LC_MESSAGES" / f"{domain}.po"
        # English is the source language: each msgstr is its msgid, never left empty.
        done = _run(["msgen", "--force-po", "-o", str(po), str(po)])
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    done = _run([sys.executable, "manage.py", "compilemessages", "--ignore=.venv"])
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    print("catalogues updated; translate what check reports, then run update again")


def problems_in(po: Path) -> list[str]:
    """What ``msgfmt --check --statistics`` finds wrong with one catalogue."""
    done = _run(["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)])
    report = (done.stderr or done.stdout).strip()
    found = []
    if done.returncode != 0:
        found.append(f"{po.relative_to(ROOT)}: msgfmt --check failed:\n{report}")
    elif "untranslated" in report or "fuzzy" in report:
        found.append(f"{po.relative_to(ROOT)}: {report}")
    return found


def stale_compiled(po: Path) -> list[str]:
    """The .mo beside ``po`` must hold exactly what the .po compiles to."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [f"{mo.relative_to(ROOT)} is missing: run scripts/messages.py update"]
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.mo"
        _run(["msgfmt", "-o", str(fresh), str(po)])
        if not fresh.exists():
            return [f"{po.relative_to(ROOT)} does not compile"]
        with fresh.open("rb") as a, mo.open("rb") as b:
            same = gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog
    return [] if same else [f"{mo.relative_to(ROOT)} is stale: run scripts/messages.py update"]


def missing_msgids() -> list[str]:
    """Msgids in the sources that a catalogue lacks: makemessages on a copy, then msgcmp."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for name in SOURCES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, copy / name)
        shutil.rmtree(copy / "orders_app" / "locale")
        (copy / "orders_app" / "locale").mkdir()
        _makemessages(copy, "--keep-pot")
        for domain in DOMAINS:
            pot = copy / "orders_app" / "locale" / f"{domain}.pot"
            for lang in LANGUAGES:
                po = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
                if not pot.exists():
                    continue
                done = _run(["msgcmp", "--use-untranslated", str(po), str(pot)])
                if done.returncode != 0:
                    lines = [ln for ln in done.stderr.splitlines() if "this message" in ln]
                    found.append(
                        f"{po.relative_to(ROOT)} lacks {len(lines) or 'some'} msgid(s) "
                        f"the sources use: run scripts/messages.py update\n{done.stderr[:2000]}"
                    )
    return found


def check() -> list[str]:
    found: list[str] = []
    for po in catalogues():
        if not po.exists():
            found.append(f"{po.relative_to(ROOT)} is missing")
            continue
        found += problems_in(po)
        found += stale_compiled(po)
    found += missing_msgids()
    return found


def main(argv: list[str]) -> int:
    if shutil.which("msgfmt") is None:
        print("gettext is not installed (apt-get install gettext; .ci/system-deps does it)")
        return 2
    os.environ.setdefault("PASS_IGNORE_DOTENV", "1")
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    if command != "check":
        print(__doc__)
        return 2
    found = check()
    for problem in found:
        print(problem)
    if not found:
        print(f"catalogues complete: {', '.join(LANGUAGES)} x {', '.join(DOMAINS)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
