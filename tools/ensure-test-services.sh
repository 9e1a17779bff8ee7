#!/usr/bin/env bash
# Make sure what the test suite talks to is really there: a PostgreSQL on 127.0.0.1:5432 (database `test`)
# and Debian's Chromium for the browser tests. Starts or installs what is missing; fails loudly otherwise,
# because a suite that silently skips its database or browser tests proves nothing.
set -euo pipefail

PGHOST=${FTCDS_TEST_PGHOST:-127.0.0.1}
PGPORT=${FTCDS_TEST_PGPORT:-5432}

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        echo "PostgreSQL is not answering on $PGHOST:$PGPORT; starting it" >&2
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
        for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
    fi
fi
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
    echo "FATAL: no PostgreSQL on $PGHOST:$PGPORT; the store tests need a real one (see README, Testing)" >&2
    exit 1
fi

if ! command -v chromium >/dev/null; then
    echo "Installing Debian's chromium for the browser tests" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "FATAL: chromium is missing and this user cannot apt-get install it" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
