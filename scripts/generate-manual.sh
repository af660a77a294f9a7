#!/bin/sh
# Usage: scripts/generate-manual.sh BUILD_DIR OUTPUT_DIR DATE PROGRAM…
# Writes PROGRAM(1) and one page per subcommand, for each PROGRAM, with swift-argument-parser's generate-manual tool
# (built in BUILD_DIR beside the programs), which renders the tool's own help (`PROGRAM --experimental-dump-help`).
# That tool drops every non-ASCII character (1.8.2, Tools/generate-manual/MDoc/String+Escaping.swift: `for character
# in self where character.isASCII`), which would leave the Vietnamese help without its letters. So each program's help is
# passed through a filter that spells each non-ASCII character as an ASCII token, and the tokens become UTF-8 again
# in the pages (man-db reads UTF-8 pages).
set -eu
build=$(realpath "$1")
out=$2
date=$3
shift 3
wrapper=$(mktemp -d)
trap 'rm -rf "$wrapper"' EXIT
rm -rf "$out"
mkdir -p "$out"
for program in "$@"; do
    # The tool names the pages after the executable it runs: the wrapper has the program's name.
    cat >"$wrapper/$program" <<EOT
#!/bin/sh
"$build/$program" "\$@" | perl -CS -pe 's/([^\x00-\x7f])/sprintf("QzU%XzQ", ord(\$1))/ge'
EOT
    chmod +x "$wrapper/$program"
    "$build/generate-manual" "$wrapper/$program" --output-directory "$out" --multi-page --date "$date" --authors tiendo
    test -f "$out/$program.1"
done
for page in "$out"/*.1; do
    perl -CSD -pi -e 's/QzU([0-9A-F]+)zQ/chr(hex($1))/ge' "$page"
done
