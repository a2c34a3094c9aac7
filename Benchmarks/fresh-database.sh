# Sourced by the cafe-server benchmarks: `fresh_database NAME` points CAFE_DATABASE at a new,
# empty database — a SQLite file in $work, or (backend=postgres, under scripts/with-postgres) a
# new schema on the test server — and creates the owner and store 1 the benchmarks use.
fresh_database() {
  if [ "$backend" = postgres ]; then
    [ -n "${CAFE_TEST_POSTGRES_URL:-}" ] || { echo "run it under scripts/with-postgres" >&2; exit 1; }
    local schema="bench_$$_$1"
    psql -q "$CAFE_TEST_POSTGRES_URL" -c "CREATE SCHEMA $schema"
    export CAFE_DATABASE="$CAFE_TEST_POSTGRES_URL?search_path=$schema"
  else
    export CAFE_DATABASE="$work/cafe-$1.sqlite"
  fi
  echo "owner-password" | $bin/cafe-server admin create-owner --login owner --password-stdin >/dev/null 2>&1
  $bin/cafe-server admin create-store --id 1 --name "Bench" --owner owner --seats 0 >/dev/null 2>&1
}
