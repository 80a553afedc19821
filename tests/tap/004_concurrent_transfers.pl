# Real backends in parallel: pgbench clients move money between accounts of
# a memopt table (write-write conflicts are retried, SQLSTATE 40001), while
# every transaction also checks in the same snapshot that the total is
# exact (a torn read raises a non-retryable error and fails the run). At the
# end the total is exact and garbage collection has left one version per row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('transfers');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
  CREATE EXTENSION memopt;
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

$node->stop;
done_testing();
