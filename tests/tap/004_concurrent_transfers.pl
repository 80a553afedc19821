# Real backends in parallel: pgbench clients move money between accounts of
# a memopt table (write-write conflicts are retried, SQLSTATE 40001), while
# every transaction also checks in the same snapshot that the total is
# exact (a torn read raises a non-retryable error and fails the run). At the
# end the total is exact and garbage collection has left one version per row.
# Then READ COMMITTED counters: lock waiters re-check the new version.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('transfers');

$node->safe_psql('postgres', q{
  CREATE TABLE bank (id int NOT NULL, balance bigint NOT NULL) USING memopt;
  INSERT INTO bank SELECT g, 1000 FROM generate_series(1, 50) g;
  CREATE FUNCTION check_total() RETURNS void LANGUAGE plpgsql AS $$
  DECLARE total bigint;
  BEGIN
    SELECT sum(balance) INTO total FROM bank;
    IF total <> 50000 THEN
      RAISE EXCEPTION 'torn read: total is %', total USING ERRCODE = 'XX001';
    END IF;
  END $$;
});

my $transfer = q{
\set from random(1, 50)
\set to random(1, 50)
\set amount random(1, 100)
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE bank SET balance = balance - :amount WHERE id = :from;
UPDATE bank SET balance = balance + :amount WHERE id = :to;
SELECT check_total();
COMMIT;
};
my $audit = q{
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT check_total();
SELECT check_total();
COMMIT;
};

$node->pgbench(
  '--no-vacuum --client=6 --jobs=2 --transactions=400 --max-tries=1000',
  0,
  [ qr{number of failed transactions: 0 \(0\.000%\)}, qr{processed: 2400/2400} ],
  [ qr{^$} ],
  'transfers and audits under contention, conflicts retried',
  { 'transfer' => $transfer . '', 'audit' => $audit });

is($node->safe_psql('postgres', 'SELECT count(*), sum(balance) FROM bank'), '50|50000',
  'total is exact after the run');
$node->safe_psql('postgres', 'VACUUM bank');
is($node->safe_psql('postgres', q{SELECT live_rows, versions FROM memopt.tables WHERE table_name = 'bank'}),
  '50|50', 'garbage collection left one version per row');

# Statistics that drive autovacuum: versions kept for a running reader are
# dead rows to ANALYZE; VACUUM collects them once the reader is gone and
# reports to pgstat like heap's vacuum does.
my $reader = $node->background_psql('postgres');
$reader->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$reader->query_safe('SELECT count(*) FROM bank');
$node->safe_psql('postgres', 'UPDATE bank SET balance = balance + 0');
$node->safe_psql('postgres', 'ANALYZE bank');
$node->safe_psql('postgres', 'SELECT pg_stat_force_next_flush()');
is($node->safe_psql('postgres', q{SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'bank'}),
  '50', 'ANALYZE counts versions kept for a reader as dead rows');
$reader->query_safe('COMMIT');
$reader->quit;
$node->safe_psql('postgres', 'VACUUM bank');
is($node->safe_psql('postgres', q{SELECT n_dead_tup, last_vacuum IS NOT NULL
    FROM pg_stat_user_tables WHERE relname = 'bank'}), '0|t', 'VACUUM reports to pgstat');
is($node->safe_psql('postgres', q{SELECT versions FROM memopt.tables WHERE table_name = 'bank'}),
  '50', 'and collected the old versions');

# READ COMMITTED's re-check (EvalPlanQual): clients increment five hot
# counters by SELECT ... FOR UPDATE then UPDATE, by a plain UPDATE, and by
# INSERT ... ON CONFLICT DO UPDATE. A waiter for a lock whose holder
# committed a change goes on with the new version; a running writer is still
# a 40001 (retried). No increment may be lost, and none may be applied
# twice. statement_timeout turns a re-check that never ends into a failure.
$node->safe_psql('postgres', q{
  CREATE TABLE counters (id int PRIMARY KEY, v int NOT NULL) USING memopt;
  INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g;
  ALTER DATABASE postgres SET statement_timeout = '60s';
});
my $lock_then_update = q{
\set id random(1, 5)
BEGIN;
SELECT v FROM counters WHERE id = :id FOR UPDATE;
UPDATE counters SET v = v + 1 WHERE id = :id;
COMMIT;
};
my $plain_update = q{
\set id random(1, 5)
UPDATE counters SET v = v + 1 WHERE id = :id;
};
my $upsert = q{
\set id random(1, 5)
INSERT INTO counters VALUES (:id, 1) ON CONFLICT (id) DO UPDATE SET v = counters.v + 1;
};
$node->pgbench(
  '--no-vacuum --client=6 --jobs=2 --transactions=500 --max-tries=1000',
  0,
  [ qr{number of failed transactions: 0 \(0\.000%\)}, qr{processed: 3000/3000} ],
  [ qr{^$} ],
  'READ COMMITTED counters under contention',
  { 'lock_then_update@4' => $lock_then_update, 'plain_update@1' => $plain_update,
    'upsert@1' => $upsert });
is($node->safe_psql('postgres', 'SELECT count(*), sum(v) FROM counters'), '5|3000',
  'every committed increment is there once');

$node->stop;
done_testing();
