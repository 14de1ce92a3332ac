#!/usr/bin/env bash
# Build a grading runtime: a Python the sandbox's unprivileged uids can read and run, with the suite packages.
#   scripts/build-runtime.sh DEST REQUIREMENTS PYTHON
# The sandbox binds /usr and the runtime (at /opt/runtime), nothing else. A PYTHON under /usr (Debian's, a
# container's /usr/local) gets a plain venv. Any other (pyenv's, under /root, which those uids cannot reach) is
# copied into DEST, relocatable ($ORIGIN run path) and world-readable, and the packages go into the copy itself:
# a venv of it would be links to a base Python the sandbox cannot see.
set -euo pipefail
dest=$1 requirements=$2 python=$3
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
prefix=$("$python" -c 'import sys; print(sys.base_prefix)')
if [ ! -x "$dest/bin/python" ]; then
  case "$prefix" in
  /usr | /usr/*) "$python" -m venv "$dest" ;;
  *)
    command -v patchelf >/dev/null || { echo "patchelf is needed to copy $python (apt-get install patchelf)" >&2; exit 1; }
    tmp="$dest.partial"
    rm -rf "$tmp" && mkdir -p "$tmp/bin" "$tmp/lib"
    cp -a "$prefix/bin/python$version" "$tmp/bin/"
    cp -a "$prefix/lib/python$version" "$tmp/lib/"
    cp -a "$prefix"/lib/libpython3*.so* "$tmp/lib/" 2>/dev/null || true # shared builds only
    # Not needed to grade: CPython's own tests, IDLE, Tk, the static library; site-packages comes fresh.
    rm -rf "$tmp/lib/python$version"/{test,idlelib,tkinter,turtledemo,site-packages}
    rm -f "$tmp/lib/python$version"/config-*/libpython*.a
    mkdir "$tmp/lib/python$version/site-packages"
    if patchelf --print-rpath "$tmp/bin/python$version" | grep -q .; then
      patchelf --set-rpath '$ORIGIN/../lib' "$tmp/bin/python$version"
    fi
    ln -s "python$version" "$tmp/bin/python3" && ln -s "python$version" "$tmp/bin/python"
    "$tmp/bin/python" -m ensurepip --default-pip >/dev/null
    mv "$tmp" "$dest"
    ;;
  esac
fi
"$dest/bin/python" -m pip install -q --disable-pip-version-check --root-user-action=ignore --only-binary=:all: -r "$requirements"
# Made under any umask (027 on the site's machines): every uid may read and run it, none may change it.
chmod -R u+w,go-w,a+rX "$dest"
