#!/bin/sh
#
# install.sh BUILD_DIR CC [CFLAGS...]: cmake --install into a scratch
# directory, twice (DESTDIR, and --prefix elsewhere), and check that
#
#  - the daemon, the library (shared and static), the headers, secctx.pc,
#    the units, the sysusers.d and tmpfiles.d entries, the documentation
#    and the example configuration are where GNUInstallDirs puts them;
#  - pkg-config --cflags --libs secctx builds a program against the
#    installed library, dynamically and statically, and it runs;
#  - the installed units name the installed daemon, and systemd-analyze
#    verify accepts them (a copy whose paths point into DESTDIR).
#
# CFLAGS: the flags a program needs to link this build's library (the
# sanitizers in a sanitizer build).
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR CC [CFLAGS...]" >&2
	exit 2
fi
build=$1
cc=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secctx-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cache() {
	sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"
}
prefix=$(cache CMAKE_INSTALL_PREFIX)
libdir=$(cache CMAKE_INSTALL_LIBDIR)
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac

DESTDIR=$tmp/dest "${CMAKE:-cmake}" --install "$build" >"$tmp/install.log"
root=$tmp/dest$prefix
lib=$tmp/dest$libdir

fail() {
	echo "install.sh: $*" >&2
	exit 1
}
for f in "$root/sbin/secctxd" "$lib/libsecctx.so" "$lib/libsecctx.so.0" \
    "$lib/libsecctx.a" "$root/include/secctx.h" \
    "$root/include/secctx/status.h" "$root/include/secctx/sspi.h" \
    "$lib/pkgconfig/secctx.pc" \
    "$root/lib/systemd/system/secctxd.service" \
    "$root/lib/systemd/system/secctxd.socket" \
    "$root/lib/sysusers.d/secctxd.conf" \
    "$root/lib/tmpfiles.d/secctxd.conf" \
    "$root/share/doc/secctx/README.md" \
    "$root/share/doc/secctx/configuration.md" \
    "$root/share/doc/secctx/examples/secctxd.json"; do
	[ -f "$f" ] || fail "missing ${f#"$tmp/dest"}"
done
[ -x "$root/sbin/secctxd" ] || fail "secctxd is not executable"
echo "files: ok"

# A program against the installed library, as a user of the package builds.
cat >"$tmp/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <secctx.h>
#include <secctx/sspi.h>

int
main(void)
{
	const char	*name = secctx_status_name(SEC_E_UNTRUSTED_ROOT);

	printf("%s\n", name != NULL ? name : "(null)");
	return (name == NULL || strcmp(name, "SEC_E_UNTRUSTED_ROOT") != 0);
}
PROG
export PKG_CONFIG_PATH="$lib/pkgconfig"
cflags=$(pkg-config --cflags secctx)
libs=$(pkg-config --libs secctx)
echo "pkg-config: $cflags $libs"
# shellcheck disable=SC2086
"$cc" "$@" $cflags -o "$tmp/prog" "$tmp/prog.c" $libs
LD_LIBRARY_PATH="$lib" "$tmp/prog"
static=$(pkg-config --static --libs secctx | sed "s#-lsecctx#$lib/libsecctx.a#")
# shellcheck disable=SC2086
"$cc" "$@" $cflags -o "$tmp/prog-static" "$tmp/prog.c" $static
"$tmp/prog-static"
if ldd "$tmp/prog-static" | grep -q libsecctx; then
	fail "the static program uses the shared library"
fi
echo "shared and static programs: ok"

# Both libraries export the same names: secctx_* and the SSPI functions.
for f in "$lib/libsecctx.so" "$lib/libsecctx.a"; do
	case $f in *.so) opt=-D ;; *) opt= ;; esac
	# shellcheck disable=SC2086
	# (Symbol versions and the version nodes of the .so aside.)
	extra=$(nm -g --defined-only $opt "$f" |
	    awk 'NF == 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	    grep -v -e '^secctx_' -e '^[A-Z][A-Za-z]*[AW]\{0,1\}$' || :)
	[ -z "$extra" ] || fail "$(basename "$f") exports $(echo $extra)"
done
echo "exported names: ok"

# The units name this installation's daemon and configuration.
unit=$root/lib/systemd/system/secctxd.service
grep -q "^ExecStart=$prefix/sbin/secctxd -c " "$unit" ||
    fail "ExecStart does not name $prefix/sbin/secctxd"
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$tmp/units"
	sed "s#^ExecStart=$prefix/#ExecStart=$root/#" "$unit" \
	    >"$tmp/units/secctxd.service"
	cp "$root/lib/systemd/system/secctxd.socket" "$tmp/units/"
	(cd "$tmp/units" &&
	    systemd-analyze verify ./secctxd.socket ./secctxd.service)
	echo "installed units verify: ok"
fi

# Relocated with --prefix: the pkg-config file follows.
"${CMAKE:-cmake}" --install "$build" --prefix "$tmp/elsewhere" >/dev/null
rel=$tmp/elsewhere/${libdir#"$prefix"/}
PKG_CONFIG_PATH="$rel/pkgconfig" pkg-config --cflags secctx |
    grep -q -- "-I$tmp/elsewhere/" ||
    fail "secctx.pc does not follow --prefix"
# shellcheck disable=SC2046
"$cc" "$@" -o "$tmp/prog2" "$tmp/prog.c" \
    $(PKG_CONFIG_PATH="$rel/pkgconfig" pkg-config --cflags --libs secctx)
LD_LIBRARY_PATH="$rel" "$tmp/prog2"
echo "--prefix: ok"
