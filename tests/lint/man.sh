#!/bin/sh
# The manual pages must format without a single complaint from either
# formatter that Debian users have: mandoc's linter (every level, style
# included) and groff with all warnings on.  Output is TAP, one test per
# page, for make check's driver; a missing formatter bails out (an error,
# never a pass).
#
# Two mandoc messages are left out: "referenced manual not found" and
# "outdated mandoc.db lacks ... entry" depend on which manuals the machine
# has installed and indexed, not on the page.  Instead, a
# cross-reference to one of relayq's own pages must name a page in doc/.
set -u
srcdir=${RELAYQ_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$srcdir/doc" || { echo "Bail out! no $srcdir/doc"; exit 1; }
for tool in mandoc groff; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool not found (tools/install-deps installs it)"
		exit 1
	fi
done

# lint PAGE - every complaint about PAGE, one per line.
lint() {
	mandoc -T lint -W style "$1" 2>&1 |
	    grep -v -e 'STYLE: referenced manual not found' \
	    -e 'outdated mandoc.db lacks'
	# The default device (ps) and the terminal one warn about
	# different things.
	for dev in ps utf8; do
		groff -ww -z -T"$dev" -mandoc "$1" 2>&1 | sed "s|^|groff -T$dev: |"
	done
	sed -n 's/^\.Xr \(relayq[^ ]*\|sendmail\) \([0-9]\).*/\1.\2/p' "$1" |
	    sort -u | while read -r ref; do
		[ -f "$ref" ] || echo ".Xr to $ref, which is not in doc/"
	done
}

set -- *.[1-9]
echo "1..$#"
n=0 status=0
for page in "$@"; do
	n=$((n + 1))
	complaints=$(lint "$page")
	if [ -z "$complaints" ]; then
		echo "ok $n - $page"
	else
		echo "not ok $n - $page"
		printf '%s\n' "$complaints" | sed 's/^/# /'
		status=1
	fi
done
exit "$status"
