#!/usr/bin/env bash
# Print a Python >= 3.12 for the app environment (Django 6 needs it): PATH first, then pyenv's versions.
# With an argument (`3.12`), only that version: the grading runtime of that name is built from it.
set -eu
want="${1:-}"
candidates=(python3.13 python3.12)
if [ -n "$want" ]; then candidates=("python$want"); fi
for candidate in "${candidates[@]}"; do
  if path=$(command -v "$candidate" 2>/dev/null) && "$path" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/${want:-3.1[2-9]}*/bin/python3; do
  if [ -x "$path" ]; then echo "$path"; exit 0; fi
done
echo "No Python ${want:-3.12 or newer} found: install one (e.g. apt-get install python${want:-3.12} or pyenv install ${want:-3.12})." >&2
exit 1
