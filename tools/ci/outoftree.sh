# tools/ci/outoftree.sh - sourced by tools/ci/sanitizers and
# tools/ci/valgrind: configure a build directory of its own, out of tree.
#
# outoftree_configure DIR [CONFIGURE-ARGS...] configures DIR (relative to
# the source tree) and leaves the shell in it.  Automake refuses a second
# build from a source tree configured in place (README's own command
# does that), so such a tree is first copied, as git sees it (committed
# or not, ignored files left out), into DIR/src, and built from there.

outoftree_configure() {
	dir=$srcdir/$1
	shift
	from=$srcdir
	if [ -f "$srcdir/config.status" ]; then
		if ! git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			echo "$0: $srcdir is configured in place and is no git checkout:" \
			    "run 'make distclean' there first" >&2
			exit 2
		fi
		from=$dir/src
		rm -rf "$from"
		mkdir -p "$from"
		(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		    xargs -0 tar cf -) | (cd "$from" && tar xf -)
	fi
	if [ ! -x "$from/configure" ] || [ "$from/configure.ac" -nt "$from/configure" ]; then
		(cd "$from" && autoreconf -fi) || exit 2
	fi
	mkdir -p "$dir/obj"
	cd "$dir/obj" || exit 2
	"$from/configure" -q "$@" || { echo "$0: configure failed (see $dir/obj/config.log)" >&2; exit 2; }
}
