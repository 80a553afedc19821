# Space of durable tables: under a steady update workload VACUUM removes the
# dead entries from the table's pages, later commits reuse the space, and the
# emptied tail is merged away, so the file stays near the size of the live
# data. After a crash (at any point: also with a standby replaying it all)
# every committed row is back, split images of large rows included.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

# wal_keep_size: the primary crashes below while the standby streams; its
# end-of-recovery checkpoint must not remove the segment the standby needs.
my $node = memopt_node('merging', init => { allows_streaming => 1 }, conf => qq{
autovacuum = off
restart_after_crash = on
wal_keep_size = '256MB'
});
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('merging_standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->start;

$node->safe_psql('postgres', q{
  CREATE TABLE acct (id int PRIMARY KEY, bal bigint, pad text) USING memopt;
  INSERT INTO acct SELECT g, 0, repeat('x', 100) FROM generate_series(1, 2000) g;
  -- Rows larger than a page are split into pieces across pages.
  CREATE TABLE big (id int PRIMARY KEY, doc text) USING memopt;
  INSERT INTO big SELECT g, (SELECT string_agg(md5(g::text || h::text), '')
                             FROM generate_series(1, 700) h) FROM generate_series(1, 3) g;
  CREATE PROCEDURE churn(n int, round int) LANGUAGE plpgsql AS $$
  BEGIN
    FOR i IN 1..n LOOP
      UPDATE acct SET bal = bal + 1
      WHERE id BETWEEN (i * 37 + round) % 1990 + 1 AND (i * 37 + round) % 1990 + 10;
      IF i % 100 = 0 THEN
        UPDATE big SET doc = md5(i::text) || substr(doc, 33) WHERE id = i % 3 + 1;
        DELETE FROM acct WHERE id = (i + round) % 2000 + 1;
        INSERT INTO acct VALUES ((i + round) % 2000 + 1, 1000, repeat('y', 100));
      END IF;
      COMMIT;
    END LOOP;
  END $$;
  VACUUM acct;
});
my $live_size = $node->safe_psql('postgres', q{SELECT pg_relation_size('acct')});

# Updates of bal are logged as deltas of a few bytes, so it takes many of
# them to write several times the live data.
my ($largest, $expected) = (0, '');
for my $round (1 .. 5) {
  $node->safe_psql('postgres', "CALL churn(2500, $round)");
  my $grown = $node->safe_psql('postgres', q{SELECT pg_relation_size('acct')});
  $largest = $grown if $grown > $largest;
  $node->safe_psql('postgres', 'VACUUM acct; VACUUM big');
}
my $after = $node->safe_psql('postgres', q{SELECT pg_relation_size('acct')});
note("acct: $live_size bytes of live data; largest $largest before a VACUUM, $after after");
cmp_ok($largest, '>', 3 * $live_size, 'the workload writes several times the live data');
cmp_ok($after, '<=', 2 * $live_size, 'after VACUUM the file is within 2x of the live data');

my $state_query = q{SELECT count(*), sum(bal), sum(length(pad)), md5(string_agg(id || ':' || bal, ',' ORDER BY id)) FROM acct};
my $big_query = q{SELECT string_agg(id || ':' || md5(doc), ',' ORDER BY id) FROM big};
$expected = $node->safe_psql('postgres', $state_query);
my $big_expected = $node->safe_psql('postgres', $big_query);

# More churn with no VACUUM after it: the newest images are in reused space.
$node->safe_psql('postgres', 'CALL churn(500, 9)');
$expected = $node->safe_psql('postgres', $state_query);
$big_expected = $node->safe_psql('postgres', $big_query);

# Crash (SIGKILL of a backend: shared memory is reinitialized) and reload.
my $pid = $node->safe_psql('postgres', 'SELECT pg_backend_pid()');
my $victim = $node->background_psql('postgres');
$pid = $victim->query_safe('SELECT pg_backend_pid()');
kill 'KILL', $pid;
eval { $victim->quit };
$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
is($node->safe_psql('postgres', $state_query), $expected, 'rows are back after a crash');
is($node->safe_psql('postgres', $big_query), $big_expected, 'large rows are back after a crash');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SELECT bal FROM acct WHERE id = 777}),
  $node->safe_psql('postgres', q{SELECT bal FROM acct WHERE id + 0 = 777}),
  'the primary key answers after the reload');

# VACUUM again after the reload, then a clean restart: still the same.
$node->safe_psql('postgres', 'VACUUM acct; VACUUM big');
$node->restart;
is($node->safe_psql('postgres', $state_query), $expected, 'rows are back after VACUUM and restart');
is($node->safe_psql('postgres', $big_query), $big_expected, 'large rows too');

# The standby replayed the prunings, merges and truncations.
$node->wait_for_catchup($standby);
$standby->promote;
is($standby->safe_psql('postgres', $state_query), $expected, 'the promoted standby has the rows');
is($standby->safe_psql('postgres', $big_query), $big_expected, 'and the large rows');
is($standby->safe_psql('postgres', q{SELECT pg_relation_size('acct')}),
  $node->safe_psql('postgres', q{SELECT pg_relation_size('acct')}), 'and the same file size');

done_testing();
