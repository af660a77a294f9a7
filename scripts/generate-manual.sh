#!/bin/sh
# Usage: scripts/generate-manual.sh BUILD_DIR OUTPUT_DIR DATE
# Writes tiendoctl(1) and one page per subcommand with swift-argument-parser's generate-manual tool (built in
# BUILD_DIR beside tiendoctl), which renders the tool's own help (`tiendoctl --experimental-dump-help`).
# That tool drops every non-ASCII character (1.8.2, Tools/generate-manual/MDoc/String+Escaping.swift: `for character
# in self where character.isASCII`), which would leave the Vietnamese help without its letters. So tiendoctl's help is
# passed through a filter that spells each non-ASCII character as an ASCII token, and the tokens become UTF-8 again
# in the pages (man-db reads UTF-8 pages).
set -eu
build=$(realpath "$1")
out=$2
date=$3
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
cat >"$wrapper" <<EOT
#!/bin/sh
"$build/tiendoctl" "\$@" | perl -CS -pe 's/([^\x00-\x7f])/sprintf("QzU%XzQ", ord(\$1))/ge'
EOT
chmod +x "$wrapper"
rm -rf "$out"
mkdir -p "$out"
"$build/generate-manual" "$wrapper" --output-directory "$out" --multi-page --date "$date" --authors tiendo
for page in "$out"/*.1; do
    perl -CSD -pi -e 's/QzU([0-9A-F]+)zQ/chr(hex($1))/ge' "$page"
done
test -f "$out/tiendoctl.1"
