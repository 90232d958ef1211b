#!/bin/bash
# A program embedding kb builds against the installed library: `meson install` puts libkb.a,
# the headers and kb.pc in a temporary root, examples/embed finds them with dependency('kb')
# through pkg-config, and the program prints the same variants as `kb matrix`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for tool in meson ninja pkg-config; do
  command -v "$tool" >/dev/null || skip "$tool not found"
done
require_torch_venvs

step "meson install --tags devel into a temporary root"
dest=$E2E_TMP/dest
meson install -C "$KB_BUILD_ROOT" --no-rebuild --tags devel --destdir "$dest" >"$E2E_TMP/install.log" 2>&1 || {
  cat "$E2E_TMP/install.log" >&2
  fail "meson install failed"
}
pc=$(find "$dest" -name kb.pc -print -quit)
[[ -n $pc ]] || fail "no kb.pc installed below $dest"
[[ -f $(find "$dest" -name libkb.a -print -quit) ]] || fail "libkb.a not installed"
[[ -f $(find "$dest" -path '*/include/kb/matrix.h' -print -quit) ]] || fail "kb/matrix.h not installed"
[[ -f $(find "$dest" -path '*/include/kb/detail/config_files.h' -print -quit) ]] ||
  fail "kb/detail/ not installed"
if grep -Eq '^Requires.*(tomlplusplus|fmt)' "$pc"; then
  cat "$pc" >&2
  fail "kb.pc requires toml++ or fmt, which libkb only uses header-only"
fi
if grep -rlE '#include <(toml\+\+|fmt)/' "$(dirname "$(find "$dest" -path '*/include/kb/matrix.h' -print -quit)")"; then
  fail "an installed header includes toml++ or fmt"
fi

# kb.pc names the configured prefix; with --destdir the files are below $dest instead. Point
# the prefix there, as a packager relocating the tree would.
prefix=$dest$(sed -n 's/^prefix=//p' "$pc")
sed -i "s|^prefix=.*|prefix=$prefix|" "$pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --exists kb || fail "pkg-config does not find kb in $PKG_CONFIG_PATH"

step "build examples/embed with dependency('kb')"
meson setup "$E2E_TMP/embed" "$KB_SOURCE_ROOT/examples/embed" >"$E2E_TMP/embed-setup.log" 2>&1 || {
  cat "$E2E_TMP/embed-setup.log" >&2
  fail "meson setup examples/embed failed"
}
ninja -C "$E2E_TMP/embed" >"$E2E_TMP/embed-build.log" 2>&1 || {
  cat "$E2E_TMP/embed-build.log" >&2
  fail "building examples/embed failed"
}

step "kb-embed examples/relu prints the variants kb matrix prints"
relu=$KB_SOURCE_ROOT/examples/relu
"$E2E_TMP/embed/kb-embed" "$relu" >"$E2E_TMP/embed.out" 2>&1 || {
  cat "$E2E_TMP/embed.out" >&2
  fail "kb-embed exited non-zero"
}
cat "$E2E_TMP/embed.out"
kb_ok matrix "$relu"
want=$(kb_out | grep -v '^kb:' | sort)
[[ -n $want ]] || fail "kb matrix lists no variant of relu"
got=$(sed -n 's/^  \(torch[^ ]*\).*/\1/p' "$E2E_TMP/embed.out" | sort)
[[ $got == "$want" ]] || fail "kb-embed listed [${got//$'\n'/ }], kb matrix [${want//$'\n'/ }]"
grep -q '^relu: ' "$E2E_TMP/embed.out" || fail "kb-embed did not name the kernel"

echo "embed: OK"
