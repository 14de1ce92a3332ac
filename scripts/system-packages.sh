#!/usr/bin/env bash
# Install the Debian packages coursesite needs when they are missing: bubblewrap for the sandbox, patchelf to
# copy a Python into a grading runtime, Chromium for the browser tests (only with --browser).
set -eu
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v patchelf >/dev/null || need+=(patchelf)
if [ "${1:-}" = "--browser" ]; then command -v chromium >/dev/null || need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "Please install: ${need[*]} (apt-get install ${need[*]})" >&2; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
