#!/usr/bin/env bash
# Vendor KaTeX into the package once, from the npm registry, so that `pip install .` gives a
# site that renders math offline with no CDN. Run it only to change the pinned version, then
# commit src/papertide/publish/static/katex/. Needs npm.
#
#     scripts/vendor_katex.sh [VERSION]
set -euo pipefail
version="${1:-0.19.1}"
cd "$(dirname "$0")/.."
dest=src/papertide/publish/static/katex
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "katex@$version" >/dev/null && tar xzf "katex-$version.tgz")
rm -rf "$dest"
mkdir -p "$dest/fonts"
cp "$tmp/package/dist/katex.min.js" "$tmp/package/dist/contrib/auto-render.min.js" "$dest/"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
cp "$tmp"/package/dist/fonts/*.woff2 "$dest/fonts/"
# Every browser that runs KaTeX reads woff2: drop the woff/ttf fallbacks from the stylesheet
# so it names only files that are shipped.
sed -E 's/,url\(fonts\/[A-Za-z0-9_-]+\.(woff|ttf)\) format\("(woff|truetype)"\)//g' \
  "$tmp/package/dist/katex.min.css" > "$dest/katex.min.css"
cat > "$dest/README.md" <<README
KaTeX $version (MIT licence, see LICENSE), vendored from the npm package \`katex@$version\` by
\`scripts/vendor_katex.sh\`: katex.min.js, contrib/auto-render.min.js, katex.min.css (woff2
fonts only) and fonts/*.woff2. Do not edit by hand; re-run the script to change the version.
README
echo "vendored KaTeX $version into $dest ($(du -sh "$dest" | cut -f1))"
