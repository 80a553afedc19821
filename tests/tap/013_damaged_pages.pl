# Damaged pages of a durable table: loading reports them as data corruption
# (XX001) naming the table, every time the table is touched, and the server
# stays up; other tables load, and the damaged ones can be dropped. Pages are
# damaged on disk while the server is stopped (the cluster has no data
# checksums, so the buffer manager does not catch it first):
# - "garbled": the bytes of its one fragment overwritten;
# - "orphan": the fragment holding its rows' whole images unlinked from the
#   page, so the update delta logged after it has no image to apply to.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('damaged_pages', conf => "autovacuum = off\n");

$node->safe_psql('postgres', q{
  CREATE TABLE garbled (id int PRIMARY KEY, v text) USING memopt;
  INSERT INTO garbled SELECT g, repeat('g', 100) FROM generate_series(1, 3) g;
  CREATE TABLE orphan (id int PRIMARY KEY, v text) USING memopt;
  INSERT INTO orphan SELECT g, repeat('o', 200) FROM generate_series(1, 3) g;
  UPDATE orphan SET v = overlay(v PLACING 'X' FROM 50) WHERE id = 2;
  CREATE TABLE bystander (id int PRIMARY KEY, v text) USING memopt;
  INSERT INTO bystander SELECT g, 'b' || g FROM generate_series(1, 100) g;
  UPDATE bystander SET v = v || '!' WHERE id % 10 = 0;
});
my %file = map {
  $_ => $node->data_dir . '/' . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$_')")
} qw(garbled orphan);
$node->stop;

# Line pointer $n (from 1) of the 8 kB page: offset, flags, length.
sub line_pointer {
  my ($page, $n) = @_;
  my $word = unpack('V', substr($page, 24 + 4 * ($n - 1), 4));
  return ($word & 0x7fff, ($word >> 15) & 3, $word >> 17);
}

# Rewrites block 0 of $path with what $edit returns for it.
sub edit_first_page {
  my ($path, $edit) = @_;
  open(my $fh, '+<:raw', $path) or die "open $path: $!";
  read($fh, my $page, 8192) == 8192 or die "short read of $path";
  $page = $edit->($page);
  seek($fh, 0, 0) or die;
  print $fh $page or die;
  close($fh) or die;
}

edit_first_page($file{garbled}, sub {
  my ($page) = @_;
  my ($offset, $flags, $length) = line_pointer($page, 1);
  is($flags, 1, 'garbled: its first fragment is a normal item');
  substr($page, $offset, $length) = "\xff" x $length;
  return $page;
});
edit_first_page($file{orphan}, sub {
  my ($page) = @_;
  my (undef, $flags2) = line_pointer($page, 2);
  is($flags2, 1, 'orphan: the update is a second fragment on the page');
  substr($page, 24, 4) = pack('V', 0);    # item 1 becomes LP_UNUSED
  return $page;
});

$node->start;

sub query_error {
  my ($sql) = @_;
  my ($rc, $out, $err) = $node->psql('postgres', $sql,
    extra_params => [ '-v', 'VERBOSITY=verbose' ]);
  return $rc == 0 ? '' : $err;
}

for my $round (1, 2) {
  like(query_error('SELECT count(*) FROM garbled'),
    qr/XX001: memopt table "garbled" has a damaged page at block 0/,
    "garbled: damaged page reported (round $round)");
  like(query_error('SELECT count(*) FROM orphan'),
    qr/XX001: memopt table "orphan" is damaged: the delta of row \d+ in batch \d+ has no image before it/,
    "orphan: delta without its image reported (round $round)");
}
is($node->safe_psql('postgres', 'SELECT count(*), sum(length(v)) FROM bystander'),
  '100|302', 'an undamaged table loads, deltas applied');
is($node->safe_psql('postgres', 'SELECT v FROM bystander WHERE id = 30'),
  'b30!', 'an updated row of it reads its newest version');

$node->safe_psql('postgres', 'DROP TABLE garbled, orphan');
is($node->safe_psql('postgres',
  q{CREATE TABLE after (id int PRIMARY KEY) USING memopt;
    INSERT INTO after VALUES (1); SELECT count(*) FROM after}),
  '1', 'the damaged tables can be dropped and new ones work');

ok(!$node->log_contains('terminated by signal'), 'no backend crashed');
$node->stop;
done_testing();
