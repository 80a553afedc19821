# memopt's WAL records as pg_walinspect shows them, per transaction: one
# record for a commit that changed one table or several (up to sixteen per
# record), pieces of a row too big for one page (sql/wal_records.sql checks
# the descriptions of single-table commits in more detail), updates logged
# as deltas of the previous image until a row has seven in a row or its
# deltas would outweigh its image. Then crash recovery replays those records
# to exactly the committed rows.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('wal_records');

$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_walinspect;
  CREATE TABLE t (id int PRIMARY KEY, v text) USING memopt;
  CREATE TABLE other (id int) USING memopt;
  CREATE TABLE lsns (step text, lsn pg_lsn);
});
# Twenty tables for one transaction: more than one record takes.
$node->safe_psql('postgres', join('', map { "CREATE TABLE many$_ (id int) USING memopt;" } 1 .. 20));

# Each step in its own transaction, with the WAL position before it.
my @steps = (
  [ 'insert', q{INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 3) g} ],
  [ 'update', q{UPDATE t SET v = 'changed' WHERE id = 2} ],
  [ 'delete', q{DELETE FROM t WHERE id = 3} ],
  # md5 text does not compress: about 12.8 kB, more than a page holds.
  [ 'big', q{INSERT INTO t SELECT 10, string_agg(md5(g::text), '') FROM generate_series(1, 400) g} ],
  [ 'rollback', q{BEGIN; INSERT INTO t VALUES (99, 'never'); ROLLBACK} ],
  [ 'two_tables', q{BEGIN; INSERT INTO t VALUES (4, 'four'); INSERT INTO other VALUES (1), (2); COMMIT} ],
  [ 'twenty_tables', 'BEGIN;' . join('', map { "INSERT INTO many$_ VALUES ($_);" } 1 .. 20) . 'COMMIT' ],
  # A 200-byte value changed one byte at a time: seven small deltas, then
  # a whole image again.
  [ 'wide', q{INSERT INTO t VALUES (6, repeat('z', 200))} ],
  (map { my $c = chr(96 + $_); [ "chain$_", qq{UPDATE t SET v = overlay(v PLACING '$c' FROM 50) WHERE id = 6} ] } 1 .. 8),
  [ 'update_in_two_steps', q{BEGIN; UPDATE t SET v = overlay(v PLACING 'P' FROM 10) WHERE id = 6; UPDATE t SET v = overlay(v PLACING 'Q' FROM 20) WHERE id = 6; COMMIT} ],
  # A short value whose deltas would soon outweigh it: a whole image.
  [ 'outweighed', q{UPDATE t SET v = 'ab' WHERE id = 2} ],
  [ 'insert_then_update', q{BEGIN; INSERT INTO t VALUES (5, 'five'); UPDATE t SET v = 'cinq' WHERE id = 5; COMMIT} ],
);
for my $step (@steps) {
  my ($name, $sql) = @$step;
  $node->safe_psql('postgres', "INSERT INTO lsns VALUES ('$name', pg_current_wal_insert_lsn())");
  $node->safe_psql('postgres', $sql);
}
$node->safe_psql('postgres', "INSERT INTO lsns VALUES ('end', pg_current_wal_insert_lsn())");
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');

# The memopt records of one step: "type: description" lines.
sub records_of {
  my ($step) = @_;
  return $node->safe_psql('postgres', qq{
    WITH bounds AS (
      SELECT lsn AS from_lsn, (SELECT min(l2.lsn) FROM lsns l2 WHERE l2.lsn > l1.lsn) AS to_lsn
      FROM lsns l1 WHERE step = '$step')
    SELECT string_agg(record_type || ': ' ||
                      regexp_replace(description, 'xid \\d+, batch \\d+, offset \\d+', 'xid, batch, offset', 'g'),
                      E'\\n' ORDER BY r.start_lsn)
    FROM bounds, pg_get_wal_records_info(bounds.from_lsn, bounds.to_lsn) r
    WHERE resource_manager = 'memopt'});
}

my $fragment = qr/xid, batch, offset: \d+ images, \d+ deletes/;
like(records_of('insert'), qr/^FRAGMENTS: xid, batch, offset: 3 images, 0 deletes$/,
  'an INSERT of three rows is one record with three images');
like(records_of('update'), qr/^FRAGMENTS: xid, batch, offset: 0 images, 0 deletes, 1 deltas$/,
  'an UPDATE logs its change to the previous image only');
like(records_of('delete'), qr/^FRAGMENTS: xid, batch, offset: 0 images, 1 deletes$/,
  'a DELETE logs the row id only');
like(records_of('big'),
  qr/^(FRAGMENTS: xid, batch, offset: 0 images, 0 deletes, 1 image pieces\n)+FRAGMENTS: xid, batch, offset: 1 images, 0 deletes$/,
  'a row bigger than a page is logged in pieces, the last one an image');
is(records_of('rollback'), '', 'a rolled-back transaction logs nothing');
like(records_of('two_tables'),
  qr/^FRAGMENTS: xid, batch, offset: (1 images, 0 deletes; xid, batch, offset: 2 images|2 images, 0 deletes; xid, batch, offset: 1 images), 0 deletes$/,
  'a transaction that changes two tables logs both in one record');
like(records_of('twenty_tables'),
  qr/^FRAGMENTS: $fragment(; $fragment){15}\nFRAGMENTS: $fragment(; $fragment){3}$/,
  'twenty tables take two records of at most sixteen fragments');

is(join('', map { records_of("chain$_") =~ /1 deltas$/ ? 'd' : records_of("chain$_") =~ /1 images, 0 deletes$/ ? 'i' : '?' } 1 .. 8),
  'dddddddi', 'seven updates of a row are deltas, the eighth a whole image');
like(records_of('outweighed'), qr/^FRAGMENTS: xid, batch, offset: 1 images, 0 deletes$/,
  'a delta that would make the row\'s deltas outweigh its image is a whole image instead');
like(records_of('update_in_two_steps'), qr/^FRAGMENTS: xid, batch, offset: 0 images, 0 deletes, 1 deltas$/,
  'a row updated twice in one transaction is one delta of its committed image');
like(records_of('insert_then_update'), qr/^FRAGMENTS: xid, batch, offset: 1 images, 0 deletes$/,
  'a row inserted and updated in one transaction is one image');

my $descriptions = $node->safe_psql('postgres', q{
  SELECT count(*) FILTER (WHERE description ~ '^xid \d+, batch \d+, offset \d+: ')
       = count(*)
  FROM pg_get_wal_records_info((SELECT min(lsn) FROM lsns), (SELECT max(lsn) FROM lsns))
  WHERE resource_manager = 'memopt'});
is($descriptions, 't', 'every memopt record has a readable description');

my $expected = $node->safe_psql('postgres', 'SELECT id, v FROM t ORDER BY id');
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', 'SELECT id, v FROM t ORDER BY id'), $expected,
  'crash recovery replays the records to exactly the committed rows');
is($node->safe_psql('postgres', 'SELECT length(v) FROM t WHERE id = 10'), '12800',
  'the row logged in pieces is whole again');
is($node->safe_psql('postgres', q{SELECT id, CASE id WHEN 6 THEN substr(v, 8, 46) ELSE v END FROM t WHERE id IN (2, 5, 6) ORDER BY id}),
  "2|ab\n5|cinq\n6|zzP" . ('z' x 9) . 'Q' . ('z' x 29) . 'hzzz',
  'rows logged as deltas are back as their newest images');
is($node->safe_psql('postgres', 'SELECT count(*) FROM other'), '2', 'both tables of one record are back');
is($node->safe_psql('postgres', join(' UNION ALL ', map { "SELECT id FROM many$_" } 1 .. 20) . ' ORDER BY 1'),
  join("\n", 1 .. 20), 'all twenty tables of one transaction are back');

done_testing();
