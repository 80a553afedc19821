# memopt.max_memory exhausted: the statement that needs more fails with
# SQLSTATE 53200 and a hint, its transaction rolls back, committed rows are
# intact, the server keeps running, and freed memory is used again.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('oom', conf => "memopt.max_memory = '32MB'");

$node->safe_psql('postgres', q{
  CREATE TABLE keep (id int, v text) USING memopt;
  INSERT INTO keep SELECT g, 'row ' || g FROM generate_series(1, 1000) g;
  CREATE TABLE fill (id int, v text) USING memopt;
});

# Uncompressible 1 MB values (md5 hex of distinct inputs, shuffled by
# concatenation), far more than 32 MB in total.
my $fill_sql = q{
  INSERT INTO fill
  SELECT g, (SELECT string_agg(md5(g::text || ':' || i::text), '')
             FROM generate_series(1, 32768) i)
  FROM generate_series(1, 64) g;
};
my ($ret, $stdout, $stderr) = $node->psql('postgres',
  "\\set VERBOSITY verbose\n$fill_sql");
isnt($ret, 0, 'filling the arena fails');
like($stderr, qr/ERROR:\s+53200: out of memopt memory while writing to table "fill"/,
  'error has SQLSTATE 53200 and names the table');
like($stderr, qr/HINT:\s+Increase memopt.max_memory/, 'error has a hint naming the setting');

is($node->safe_psql('postgres', 'SELECT count(*), sum(id) FROM keep'), '1000|500500',
  'committed rows are intact');
is($node->safe_psql('postgres', 'SELECT count(*) FROM fill'), '0',
  'the failed insert left nothing behind');

# The memory of the rolled-back insert is reused: a smaller load fits now,
# repeatedly (without reuse the third round would fail).
for my $round (1 .. 3) {
  $node->safe_psql('postgres', q{
    INSERT INTO fill
    SELECT g, (SELECT string_agg(md5(g::text || ':' || i::text), '')
               FROM generate_series(1, 16384) i)
    FROM generate_series(1, 8) g;
  });
  is($node->safe_psql('postgres', 'SELECT count(*) FROM fill'), '8', "round $round fits");
  $node->safe_psql('postgres', 'DELETE FROM fill');
  $node->safe_psql('postgres', 'VACUUM fill');
}

is($node->safe_psql('postgres', 'SELECT count(*) FROM keep'), '1000', 'server still serves');
$node->stop;
done_testing();
