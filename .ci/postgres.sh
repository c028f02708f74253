#!/usr/bin/env bash
# A throw-away PostgreSQL server for crmcore's tests, on a Unix socket only (no TCP).
#
#   bash .ci/postgres.sh install      # Debian's packages (apt-get), else a pip-installed server
#   bash .ci/postgres.sh start DIR    # initdb into DIR, start; prints the libpq connection string
#   bash .ci/postgres.sh stop DIR     # stop the server started in DIR and remove DIR
#
# Run as root, the server runs as the unprivileged "postgres" user (created by Debian's
# package, or here); run as anybody else, it runs as that user.
#
# CRMCORE_PG_SOURCE=pip skips Debian's packages and uses pip's pgserver wheel (the path a
# machine without apt takes), so both paths can be tried on one machine.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
source=${CRMCORE_PG_SOURCE:-any}
port=${CRMCORE_PG_PORT:-5432}  # only names the socket file: the server listens on no TCP port

bin_dir() {
    local found
    if [[ -n "$dir" && -x "$dir/pg/pgserver/pginstall/bin/initdb" ]]; then
        echo "$dir/pg/pgserver/pginstall/bin"  # pgserver's, copied where the server user reads them
        return
    fi
    if [[ $source != pip ]]; then
        found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
        if [[ -n "$found" && -x "$found/initdb" ]]; then
            echo "$found"
            return
        fi
        if command -v initdb >/dev/null 2>&1; then
            dirname "$(command -v initdb)"
            return
        fi
    fi
    # pgserver ships the server binaries inside its wheel.
    local py=${PY:-python3}
    found=$("$py" -c 'import pgserver, pathlib; print(pathlib.Path(pgserver.__file__).parent / "pginstall" / "bin")' 2>/dev/null || true)
    if [[ -n "$found" && -x "$found/initdb" ]]; then
        echo "$found"
        return
    fi
    echo "postgres.sh: no PostgreSQL server found; run 'bash .ci/postgres.sh install'" >&2
    exit 1
}

as_server_user() {
    if [[ $(id -u) == 0 ]]; then
        su postgres -s /bin/bash -c "$*"
    else
        bash -c "$*"
    fi
}

case "$cmd" in
install)
    if [[ $source != pip ]]; then
        if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
            echo "postgres.sh: using Debian's PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n 1)" >&2
            exit 0
        fi
        if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
            # Without a network apt-get fails (the update at worst after its time limit).
            if DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 ||
                { timeout 300 apt-get update -q >/dev/null 2>&1 &&
                    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q postgresql >/dev/null 2>&1; }; then
                echo "postgres.sh: installed Debian's PostgreSQL" >&2
                exit 0
            fi
        fi
    fi
    echo "postgres.sh: no Debian package; installing pgserver (PostgreSQL in a wheel) with pip" >&2
    "${PY:-python3}" -m pip install --quiet pgserver
    ;;
start)
    [[ -n "$dir" ]] || { echo "usage: postgres.sh start DIR" >&2; exit 2; }
    bin=$(bin_dir)
    mkdir -p "$dir"
    if [[ $(id -u) == 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
        if ! su postgres -s /bin/bash -c "test -x '$bin/initdb'"; then
            # pgserver's binaries in a venv the server user cannot reach (under /root, say):
            # copy the installation and its libraries (about 40 MB) into the server's folder,
            # keeping the layout their RPATH ($ORIGIN/../../../pgserver.libs) expects.
            site=$(dirname "$(dirname "$(dirname "$bin")")")
            mkdir -p "$dir/pg/pgserver"
            cp -a "$site/pgserver/pginstall" "$dir/pg/pgserver/"
            [[ ! -d "$site/pgserver.libs" ]] || cp -a "$site/pgserver.libs" "$dir/pg/"
            bin="$dir/pg/pgserver/pginstall/bin"
        fi
        chown -R postgres "$dir"
    fi
    chmod 700 "$dir"
    echo "$bin" >"$dir/bin"  # stop uses the same binaries, whatever PATH and PY say then
    as_server_user "'$bin/initdb' -D '$dir/data' -U postgres -A trust -E UTF8 --no-sync >'$dir/initdb.log' 2>&1"
    as_server_user "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 start -o \"-k '$dir' -p $port -c listen_addresses='' -c fsync=off -c max_connections=200\" >/dev/null"
    echo "host=$dir port=$port user=postgres dbname=postgres"
    ;;
stop)
    [[ -n "$dir" ]] || { echo "usage: postgres.sh stop DIR" >&2; exit 2; }
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        bin=$(cat "$dir/bin" 2>/dev/null || (bin_dir) 2>/dev/null || true)
        if [[ -z "$bin" ]] || ! as_server_user "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null"; then
            # No pg_ctl to be found: a fast shutdown is SIGINT to the postmaster.
            pid=$(head -n 1 "$dir/data/postmaster.pid")
            kill -INT "$pid" 2>/dev/null || true
            for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        fi
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres.sh install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
