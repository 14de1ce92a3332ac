#!/usr/bin/env bash
# PDF.js for the review page's report viewer: `npm ci` of the locked pdfjs-dist (rubrics/pdfjs/package-lock.json,
# integrity-checked, from the npm registry), then its built files copied into rubrics' static folder, which
# whitenoise serves (no CDN). Idempotent: nothing is done while the copied files match the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=rubrics/pdfjs
out=rubrics/static/rubrics/pdfjs
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$out/.lock-sha256" ] && [ "$(cat "$out/.lock-sha256")" = "$want" ] && [ -f "$out/pdf.min.mjs" ]; then exit 0; fi
command -v npm >/dev/null || { echo "Please install npm (apt-get install npm): PDF.js comes from the npm registry" >&2; exit 1; }
# --omit=optional: @napi-rs/canvas is for PDF.js under node only; the browser needs none of it.
npm ci --prefix "$dir" --omit=optional --no-audit --no-fund --loglevel=error
src="$dir/node_modules/pdfjs-dist"
rm -rf "$out"
mkdir -p "$out"
cp "$src/build/pdf.min.mjs" "$src/build/pdf.worker.min.mjs" "$src/LICENSE" "$out/"
# Fonts a PDF names without embedding, character maps of CJK text, and the image decoders' WebAssembly.
cp -r "$src/standard_fonts" "$src/cmaps" "$src/wasm" "$out/"
echo "$want" >"$out/.lock-sha256"
