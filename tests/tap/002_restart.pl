# Restarts: after a clean restart, and after a backend crash (which makes the
# postmaster reinitialize shared memory), durable memopt tables are loaded
# back with their indexes, schema-only ones come back empty, and both stay
# fully usable.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('restart', conf => 'restart_after_crash = on');

$node->safe_psql('postgres', q{
  CREATE TABLE mem (id int PRIMARY KEY, v text) USING memopt;
  CREATE UNIQUE INDEX mem_v ON mem USING memopt_hash (v);
  CREATE TABLE heap_t (id int);
  CREATE TABLE scratch (id int PRIMARY KEY) USING memopt WITH (durability = schema_only);
  INSERT INTO scratch SELECT generate_series(1, 100);
  INSERT INTO mem SELECT g, 'v' || g FROM generate_series(1, 1000) g;
  INSERT INTO heap_t SELECT generate_series(1, 1000);
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM mem'), '1000', 'rows before restart');

$node->safe_psql('postgres', q{
  UPDATE mem SET v = 'u' || id WHERE id <= 100;
  DELETE FROM mem WHERE id > 900;
  BEGIN; INSERT INTO mem VALUES (5000, 'rolled back'); ROLLBACK;
});
$node->restart;
is($node->safe_psql('postgres', q{SELECT count(*), count(*) FILTER (WHERE v LIKE 'u%') FROM mem}),
  '900|100', 'durable table loaded after a clean restart, updates and deletes included');
is($node->safe_psql('postgres', 'SELECT count(*) FROM scratch'), '0',
  'schema-only table is empty after a clean restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM heap_t'), '1000', 'heap table kept');
is($node->safe_psql('postgres', q{SELECT live_rows FROM memopt.tables WHERE table_name = 'mem'}),
  '900', 'memopt.tables counts the loaded rows');

# The indexes were rebuilt at load.
my $index_lookups = q{SET enable_seqscan = off;
  SELECT (SELECT v FROM mem WHERE id = 50), (SELECT id FROM mem WHERE v = 'v700'),
         (SELECT count(*) FROM mem WHERE id BETWEEN 100 AND 199)};
is($node->safe_psql('postgres', $index_lookups), 'u50|700|100', 'indexes answer after restart');
$node->safe_psql('postgres', q{INSERT INTO mem SELECT g, 'w' || g FROM generate_series(901, 1000) g});
is($node->safe_psql('postgres', 'SELECT count(*) FROM mem'), '1000', 'table writable after restart');
my ($ret, $out, $err) = $node->psql('postgres', q{INSERT INTO mem VALUES (7, 'dup')});
like($err, qr/duplicate key value violates unique constraint "mem_pkey"/,
  'uniqueness enforced after restart');

# Crash one backend: the postmaster kills all backends and reinitializes
# shared memory; crash recovery replays the WAL and the tables load again.
my $victim = $node->background_psql('postgres');
my $pid = $victim->query_safe('SELECT pg_backend_pid()');
chomp $pid;
kill 'KILL', $pid;
$victim->quit;
$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
is($node->safe_psql('postgres', 'SELECT count(*) FROM mem'), '1000',
  'durable table loaded after crash-restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM scratch'), '0',
  'schema-only table is empty after crash-restart');
$node->safe_psql('postgres', 'TRUNCATE mem');
is($node->safe_psql('postgres', 'SELECT count(*) FROM heap_t'), '1000', 'heap table kept after crash');

$node->safe_psql('postgres', q{
  INSERT INTO mem SELECT g, 'x' || g FROM generate_series(1, 100) g;
  UPDATE mem SET v = v || '!' WHERE id <= 10;
  DELETE FROM mem WHERE id > 90;
});
is($node->safe_psql('postgres', q{SELECT count(*), count(*) FILTER (WHERE v LIKE '%!') FROM mem}),
  '90|10', 'writes work after crash-restart');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SELECT id FROM mem WHERE v = 'x5!'}), '5',
  'indexes answer after crash-restart');
ok($node->log_contains('server process .* was terminated by signal 9'), 'crash was real');

# TRUNCATE gave the table a new file: only what followed it comes back.
$node->restart;
is($node->safe_psql('postgres', q{SELECT count(*), count(*) FILTER (WHERE v LIKE '%!') FROM mem}),
  '90|10', 'writes after TRUNCATE survive a restart, nothing from before it');

$node->stop;
done_testing();
