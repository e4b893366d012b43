#!/usr/bin/env bash
# The distribution's packages the tests need: Chromium (the staff pages are tested in a real
# browser) and PostgreSQL (the decision log is tested on a real server; the tests start a
# throwaway cluster from its binaries, or use DIBAO_TEST_POSTGRES=postgresql://… when set).
# Installs what is missing with apt-get when run as root; otherwise says what to install.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "the tests need the distribution's ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" >&2
    exit 1
fi
echo "installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
