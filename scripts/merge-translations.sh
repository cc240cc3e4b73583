#!/usr/bin/env bash
# Extracts the messages afresh into locale/vi/LC_MESSAGES/django.po, keeping the translations it has and
# taking new ones from the PO fragments under locale/pending/ (where parallel work leaves them), then prints
# how many messages are still untranslated. Needs gettext.
set -euo pipefail
cd "$(dirname "$0")/.."
po=locale/vi/LC_MESSAGES/django.po
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

header='msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"
'
fragments=("$po")
for f in locale/pending/*.po; do
  [ -f "$f" ] || continue
  if grep -q '^msgid ""$' "$f"; then cp "$f" "$work/$(basename "$f")"; else { echo "$header"; cat "$f"; } > "$work/$(basename "$f")"; fi
  fragments+=("$work/$(basename "$f")")
done
msgcat --use-first -o "$work/compendium.po" "${fragments[@]}"

PARTYHUB_EMBEDDED=true .venv/bin/python manage.py makemessages -l vi --no-obsolete --add-location file \
  -i ".venv/*" -i "node_modules/*" -i "static/vendor/*" -i "var/*" -i "tests/*" -i "bench/*" -i "scripts/*" >/dev/null
msgmerge --quiet --no-fuzzy-matching -C "$work/compendium.po" -o "$work/merged.po" "$po" "$po"
cp "$work/merged.po" "$po"
msgfmt --check-format -o /dev/null "$po"
echo "untranslated: $(msgattrib --untranslated "$po" | grep -c '^msgid' || true) (the header counts as one)"
