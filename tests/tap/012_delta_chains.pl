# Updates logged as deltas of the row's previous image, with VACUUM pruning
# and merging pages in between: loading must find, for every row, its newest
# whole image and apply the deltas after it in order, after a crash and after
# a clean restart alike.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('delta_chains', conf => "autovacuum = off\n");

$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_walinspect;
  -- About 1.5 kB a row: deltas are allowed (images up to 2 kB), and a page
  -- holds only a few whole images, so bases and deltas spread over pages.
  CREATE TABLE docs (id int PRIMARY KEY, version int, doc text) USING memopt;
  INSERT INTO docs SELECT g, 0, (SELECT string_agg(md5((g * 100 + h)::text), '')
                                 FROM generate_series(1, 47) h)
  FROM generate_series(1, 300) g;
  CREATE PROCEDURE edit(round int) LANGUAGE plpgsql AS $$
  BEGIN
    FOR i IN 1..150 LOOP
      -- a small change somewhere in the document: a delta
      UPDATE docs SET version = version + 1,
                      doc = overlay(doc PLACING md5((round * 1000 + i)::text)
                                    FROM 1 + (i * 53 + round) % 1400)
      WHERE id = (i * 7 + round * 13) % 300 + 1;
      IF i % 50 = 0 THEN
        -- a change of the length, a delete and a new row
        UPDATE docs SET doc = doc || 'x' WHERE id = (i + round) % 300 + 1;
        DELETE FROM docs WHERE id = (i * 3 + round) % 300 + 1;
        INSERT INTO docs VALUES ((i * 3 + round) % 300 + 1, -round,
                                 repeat(md5(round::text), 45));
      END IF;
      COMMIT;
    END LOOP;
  END $$;
});

my $start = $node->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
my $inserted = $node->safe_psql('postgres', q{SELECT pg_relation_size('docs')});
for my $round (1 .. 12) {
  $node->safe_psql('postgres', "CALL edit($round)");
  $node->safe_psql('postgres', 'VACUUM docs') if $round % 3 == 0;
}
my $deltas = $node->safe_psql('postgres', qq{
  SELECT count(*) FROM pg_get_wal_records_info('$start', pg_current_wal_flush_lsn())
  WHERE resource_manager = 'memopt' AND description ~ ' deltas'});
cmp_ok($deltas, '>', 500, 'the edits were logged as deltas');
my $split = $node->safe_psql('postgres', qq{
  SELECT count(*) FROM pg_get_wal_records_info('$start', pg_current_wal_flush_lsn())
  WHERE resource_manager = 'memopt' AND description ~ 'image pieces'});
is($split, '0', 'images that fit a page are never split');
my $vacuumed = $node->safe_psql('postgres', q{SELECT pg_relation_size('docs')});
note("docs: $inserted bytes after the insert, $vacuumed after the edits and VACUUMs");

my $state = q{SELECT count(*), sum(version), md5(string_agg(id || ':' || version || ':' || doc, ',' ORDER BY id)) FROM docs};
my $expected = $node->safe_psql('postgres', $state);
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', $state), $expected, 'after a crash every row is its newest version');

# Prune and merge what the crash left, edit more, and restart cleanly.
$node->safe_psql('postgres', 'VACUUM docs; CALL edit(13); VACUUM docs; CALL edit(14)');
$expected = $node->safe_psql('postgres', $state);
$node->restart;
is($node->safe_psql('postgres', $state), $expected, 'after VACUUM and a restart too');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SELECT count(*) FROM docs d WHERE EXISTS (SELECT 1 FROM docs e WHERE e.id = d.id)}),
  $node->safe_psql('postgres', 'SELECT count(*) FROM docs'), 'the primary key finds every row');

done_testing();
