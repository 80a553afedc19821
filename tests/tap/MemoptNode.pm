# MemoptNode.pm - the node every memopt TAP test starts from.
#
# memopt_node($name, conf => $lines, init => \%initdb_options) makes a
# PostgreSQL::Test::Cluster, initializes it (memopt is preloaded through
# TEMP_CONFIG, see scripts/test-tap.sh), appends $lines to postgresql.conf,
# starts it and creates the memopt extension in database "postgres".
package MemoptNode;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(memopt_node);

sub memopt_node {
  my ($name, %options) = @_;
  my $node = PostgreSQL::Test::Cluster->new($name);
  $node->init(%{ $options{init} // {} });
  $node->append_conf('postgresql.conf', $options{conf}) if defined $options{conf};
  $node->start;
  $node->safe_psql('postgres', 'CREATE EXTENSION memopt');
  return $node;
}

1;
