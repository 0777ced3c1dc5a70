# Sourced by .ci/run: installs PostgreSQL from Debian's packages when it is
# missing, starts a throwaway server on 127.0.0.1, and exports
# CHAINTRACE_TEST_POSTGRES so the store's PostgreSQL tests run against it.
# The server is stopped when the calling shell exits.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ]; then
  echo ".ci/run: installing PostgreSQL from Debian packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN="$(pg_bin)"
[ -n "$PGBIN" ] || { echo ".ci/run: PostgreSQL could not be installed" >&2; exit 1; }
PGROOT="$(mktemp -d /tmp/chaintrace-pg.XXXXXX)"
PGPORT="${PGPORT:-55432}"
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGROOT"
run_pg "'$PGBIN/initdb' -D '$PGROOT/data' -A trust -U postgres >'$PGROOT/initdb.log' 2>&1" \
  || { cat "$PGROOT/initdb.log" >&2; exit 1; }
run_pg "'$PGBIN/pg_ctl' -D '$PGROOT/data' -l '$PGROOT/server.log' -w -o \"-p $PGPORT -k '$PGROOT' -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null" \
  || { cat "$PGROOT/server.log" >&2; exit 1; }
trap "run_pg \"'$PGBIN/pg_ctl' -D '$PGROOT/data' -m fast stop >/dev/null 2>&1\"; rm -rf '$PGROOT'" EXIT
export CHAINTRACE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
echo ".ci/run: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT" >&2
