"""`python -m kefu.core.i18n_check`: extract the messages again and fail on any without a Chinese translation.

Chinese is the first language (PLT-4): a string that reaches users in English only is a defect.
"""

import os
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def untranslated(po_text: str) -> list[str]:
    missing = []
    for block in po_text.split("\n\n"):
        if "#, fuzzy" in block.split("msgid", 1)[0] and 'msgid ""\nmsgstr ""\n"Project' not in block:
            missing.append(_msgid(block) + "  (fuzzy)")
            continue
        msgid = _msgid(block)
        if not msgid:
            continue
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block + "\n", flags=re.M)
        if not msgstrs or any(_join(s) == "" for s in msgstrs):
            missing.append(msgid)
    return missing


def _join(quoted: str) -> str:
    return "".join(re.findall(r'"(.*)"', quoted))


def _msgid(block: str) -> str:
    found = re.search(r'^msgid ((?:".*"\n?)+)', block + "\n", flags=re.M)
    return _join(found.group(1)) if found else ""


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django
    from django.core.management import call_command

    django.setup()
    os.chdir(PO.parents[3])
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    missing = untranslated(PO.read_text(encoding="utf-8"))
    for msgid in missing:
        print(f"untranslated: {msgid}")
    if missing:
        print(f"{len(missing)} message(s) have no Chinese translation in {PO}")
        return 1
    call_command("compilemessages", locale=["zh_Hans"], verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
