#!/usr/bin/env bash
# The database and cache servers behind regionsim's data plane (MariaDB, Redis): installed here when missing.
# No PyPI wheel ships a MySQL-protocol server, so they come from Debian packages; that needs root (as CI runs).
set -euo pipefail

PACKAGES=(mariadb-server redis-server)
# Debian puts mariadbd in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

missing() {
    command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 || return 0
    command -v redis-server >/dev/null 2>&1 || return 0
    return 1
}

missing || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-servers: regionsim's data plane needs MariaDB and Redis servers (mariadbd, redis-server)." >&2
    echo "setup-servers: install the Debian packages ${PACKAGES[*]} as root, e.g.:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-servers: no apt-get here; install MariaDB (mariadbd, mariadb-install-db) and redis-server yourself" >&2
    exit 1
fi
echo "setup-servers: installing ${PACKAGES[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101: the packages' own services stay stopped; regionsim starts its servers itself, on loopback
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
fi
trap '[ "$created" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
missing && { echo "setup-servers: ${PACKAGES[*]} installed, but mariadbd or redis-server is still missing" >&2; exit 1; }
echo "setup-servers: $(mariadbd --version 2>/dev/null | head -1); $(redis-server --version | head -1)"
