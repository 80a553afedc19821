# Durable memopt tables through PostgreSQL's own machinery: a base backup
# taken while writes run restores to the primary's state at the backup's end
# point; a streaming standby (memopt preloaded) replays the pages and, once
# promoted, loads tables equal to the primary's; reading a memopt table on
# a standby before promotion is refused. Then DDL followed by a crash:
# TRUNCATE, DROP, ALTER TABLE rewrites and SET ACCESS METHOD leave exactly the
# committed state. VACUUM freezes the batches' xids and advances relfrozenxid.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

# wal_keep_size: the primary crashes while its standby streams (as in 008).
my $primary = memopt_node('primary', init => { allows_streaming => 1 },
  conf => "restart_after_crash = on\nwal_keep_size = '256MB'\n");
$primary->safe_psql('postgres', q{
  CREATE TABLE acct (id int PRIMARY KEY, balance int, note text) USING memopt;
  CREATE INDEX acct_note ON acct USING memopt_hash (note) WITH (bucket_count = 1024);
  INSERT INTO acct SELECT g, 100, 'n' || g FROM generate_series(1, 5000) g;
});

# Writes run while the base backup is taken.
my $writer = $primary->background_psql('postgres');
$writer->query_safe(q{CREATE FUNCTION churn(k int) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    FOR i IN 1 .. k LOOP
      UPDATE acct SET balance = balance + 1, note = 'u' || i WHERE id = 1 + (i * 37) % 5000;
    END LOOP;
  END $$});
$writer->query_until(qr/started/, "\\echo started\nSELECT churn(20000);\n");
$primary->backup('base');
$writer->quit;
my $expected = q{SELECT count(*), sum(balance), count(DISTINCT note) FROM acct};
my $at_end = $primary->safe_psql('postgres', $expected);

my $restored = PostgreSQL::Test::Cluster->new('restored');
$restored->init_from_backup($primary, 'base');
$restored->start;
my $restored_state = $restored->safe_psql('postgres', $expected);
my ($restored_count) = split /\|/, $restored_state;
is($restored_count, 5000, 'restored backup has every row');
my $restored_sum = (split /\|/, $restored_state)[1];
ok($restored_sum >= 500000 && $restored_sum <= (split /\|/, $at_end)[1],
  'restored backup is a state between the start of the churn and its end');
is($restored->safe_psql('postgres',
    q{SET enable_seqscan = off; SELECT count(*) FROM acct a WHERE (SELECT id FROM acct WHERE note = a.note LIMIT 1) IS NOT NULL}),
  '5000', 'restored backup: hash index rebuilt');
$restored->stop;

# A streaming standby.
$primary->backup('base2');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base2', has_streaming => 1);
$standby->start;
$primary->safe_psql('postgres', q{
  UPDATE acct SET balance = balance - 1 WHERE id <= 1000;
  DELETE FROM acct WHERE id > 4900;
  INSERT INTO acct VALUES (9001, 1, 'late');
});
$primary->wait_for_catchup($standby);
my ($ret, $out, $err) = $standby->psql('postgres', 'SELECT count(*) FROM acct');
like($err, qr/cannot read memopt table "acct" during recovery/, 'standby refuses reads before promotion');
$standby->promote;
is($standby->safe_psql('postgres', $expected), $primary->safe_psql('postgres', $expected),
  'promoted standby equals the primary');
is($standby->safe_psql('postgres', q{SET enable_seqscan = off; SELECT balance FROM acct WHERE id = 9001}),
  '1', 'promoted standby: primary key rebuilt');
$standby->safe_psql('postgres', q{INSERT INTO acct VALUES (9002, 2, 'after promotion')});
$standby->restart;
is($standby->safe_psql('postgres', 'SELECT count(*) FROM acct WHERE id > 9000'), '2',
  'promoted standby keeps its own commits');
$standby->stop;

# DDL, then a crash of one backend (crash recovery).
$primary->safe_psql('postgres', q{
  CREATE TABLE t_trunc (id int PRIMARY KEY) USING memopt;
  CREATE TABLE t_drop (id int) USING memopt;
  CREATE TABLE t_rewrite (id int PRIMARY KEY, v int) USING memopt;
  CREATE TABLE t_to_heap (id int) USING memopt;
  CREATE TABLE t_to_memopt (id int);
  INSERT INTO t_trunc SELECT generate_series(1, 100);
  INSERT INTO t_drop SELECT generate_series(1, 100);
  INSERT INTO t_rewrite SELECT g, g FROM generate_series(1, 100) g;
  INSERT INTO t_to_heap SELECT generate_series(1, 100);
  INSERT INTO t_to_memopt SELECT generate_series(1, 100);
  TRUNCATE t_trunc;
  INSERT INTO t_trunc VALUES (1), (2);
  DROP TABLE t_drop;
  ALTER TABLE t_rewrite ALTER COLUMN v TYPE bigint;
  UPDATE t_rewrite SET v = v * 10 WHERE id <= 10;
  ALTER TABLE t_to_heap SET ACCESS METHOD heap;
  ALTER TABLE t_to_memopt SET ACCESS METHOD memopt;
  DELETE FROM t_to_memopt WHERE id > 50;
  BEGIN; TRUNCATE t_rewrite; ROLLBACK;
  CREATE TABLE t_vacfull (id int PRIMARY KEY) USING memopt;
  INSERT INTO t_vacfull SELECT generate_series(1, 100);
  DELETE FROM t_vacfull WHERE id % 2 = 0;
  VACUUM FULL t_vacfull;
  INSERT INTO t_vacfull VALUES (1000);
});
my $ddl_state = q{SELECT (SELECT count(*) FROM t_trunc), (SELECT sum(v) FROM t_rewrite),
  (SELECT count(*) FROM t_to_heap), (SELECT count(*) FROM t_to_memopt),
  (SELECT to_regclass('t_drop') IS NULL), (SELECT count(*) FROM t_vacfull WHERE id > 50)};
is($primary->safe_psql('postgres', $ddl_state), '2|5545|100|50|t|26', 'DDL state before the crash');
my $victim = $primary->background_psql('postgres');
my $pid = $victim->query_safe('SELECT pg_backend_pid()');
kill 'KILL', $pid;
$victim->quit;
$primary->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
is($primary->safe_psql('postgres', $ddl_state), '2|5545|100|50|t|26',
  'TRUNCATE, DROP, rewrites, VACUUM FULL and SET ACCESS METHOD survive a crash as committed');

# VACUUM freezes every batch older than every snapshot.
my $before = $primary->safe_psql('postgres', q{SELECT relfrozenxid FROM pg_class WHERE relname = 'acct'});
$primary->safe_psql('postgres', 'SELECT txid_current()') for 1 .. 3;
$primary->safe_psql('postgres', 'VACUUM acct');
my $after = $primary->safe_psql('postgres', q{SELECT relfrozenxid FROM pg_class WHERE relname = 'acct'});
ok($after > $before, "VACUUM advanced relfrozenxid ($before -> $after)");
my $frozen_state = $primary->safe_psql('postgres', $expected);
$primary->restart;
is($primary->safe_psql('postgres', $expected), $frozen_state, 'frozen table loads unchanged');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM acct'), '4901', 'frozen batches load as committed');
$primary->stop;
done_testing();
