# Crash under load. Several clients move money between accounts of a durable
# memopt table, each transaction also appending to a ledger, and print an
# acknowledgement after every COMMIT returns. Mid-flight the server is
# killed: SIGKILL of the postmaster (then a fresh start), or SIGKILL of one
# backend (crash restart by the postmaster). After each crash: every
# acknowledged commit is there, at most the one commit in flight per client
# beyond it, nothing half-applied (balances sum exactly), and the indexes
# agree with the rows. One cycle runs with synchronous_commit = off, where
# the last acknowledged commits may be lost but never part of one.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use IPC::Run;
use Test::More;

my $clients = 3;
my $accounts_per_client = 10;

my $node = memopt_node('crash', conf => "restart_after_crash = on\n");
$node->safe_psql('postgres', qq{
  CREATE TABLE bank (id int PRIMARY KEY, balance bigint NOT NULL) USING memopt;
  CREATE TABLE ledger (client int, n int, PRIMARY KEY (client, n)) USING memopt;
  INSERT INTO bank SELECT g, 1000 FROM generate_series(1, $clients * $accounts_per_client) g;
});

# Client $c's script: transactions numbered from $first, each followed by an
# acknowledgement. Each client has its own accounts, so clients never
# conflict and every failure is the crash.
sub client_script {
  my ($c, $first) = @_;
  my $script = "\\set ON_ERROR_STOP 1\n";
  for my $n ($first .. $first + 20000) {
    my $from = $c * $accounts_per_client + 1 + ($n % $accounts_per_client);
    my $to = $c * $accounts_per_client + 1 + (($n * 7 + 3) % $accounts_per_client);
    $script .= "BEGIN; UPDATE bank SET balance = balance - 1 WHERE id = $from; "
      . "UPDATE bank SET balance = balance + 1 WHERE id = $to; "
      . "INSERT INTO ledger VALUES ($c, $n); COMMIT;\n\\echo ack $n\n";
  }
  return $script;
}

sub last_ack {
  my ($out) = @_;
  my @acks = ($out =~ /^ack (\d+)$/mg);
  return @acks ? $acks[-1] : 0;
}

# Starts the clients, lets them commit for a while, then runs $crash.
sub run_and_crash {
  my ($crash, $options) = @_;
  my (@handles, @outputs);
  for my $c (0 .. $clients - 1) {
    my $first = 1 + $node->safe_psql('postgres', "SELECT coalesce(max(n), 0) FROM ledger WHERE client = $c");
    my $file = $node->basedir . "/client_$c.sql";
    open my $fh, '>', $file or die $!;
    print $fh client_script($c, $first);
    close $fh;
    my $out = '';
    push @outputs, \$out;
    local $ENV{PGOPTIONS} = $options // '';
    local $ENV{PGAPPNAME} = "client_$c";
    push @handles, IPC::Run::start(
      [ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-f', $file ],
      '>', \$out, '2>', \my $err);
  }
  # Let every client commit a few hundred transactions.
  for (1 .. 600) {
    $_->pump_nb for @handles;
    last if !grep { last_ack($$_) < 200 } @outputs;
    select(undef, undef, undef, 0.05);
  }
  $crash->();
  $_->finish for @handles;    # psql stops at the broken connection
  return map { last_ack($$_) } @outputs;
}

# After a crash the postmaster may be a zombie whose lock files block a start.
sub kill_postmaster_and_restart {
  my ($pid) = slurp_file($node->data_dir . '/postmaster.pid') =~ /^(\d+)/
    or die 'no postmaster.pid';
  kill 'KILL', $pid;
  # Children exit when they notice the postmaster is gone.
  for (1 .. 100) {
    last if !grep { /postgres/ && /\Q@{[$node->data_dir]}\E|client_/ } `ps -eo args 2>/dev/null`;
    select(undef, undef, undef, 0.1);
  }
  sleep 1;
  unlink $node->data_dir . '/postmaster.pid';
  unlink glob($node->host . '/.s.PGSQL.' . $node->port . '*');
  $node->_update_pid(0);
  $node->start;
}

sub kill_one_backend {
  my $pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE application_name = 'client_1'});
  kill 'KILL', $pid if $pid;
  $node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
}

sub check_after_crash {
  my ($label, $acked, $may_lose) = @_;
  for my $c (0 .. $clients - 1) {
    my ($count, $max) = split /\|/,
      $node->safe_psql('postgres', "SELECT count(*), coalesce(max(n), 0) FROM ledger WHERE client = $c");
    is($count, $max, "$label: client $c ledger has no gaps");
    if ($may_lose) {
      ok($max <= $acked->[$c] + 1, "$label: client $c has no commit that was never attempted");
    } else {
      ok($max >= $acked->[$c] && $max <= $acked->[$c] + 1,
        "$label: client $c has every acknowledged commit ($acked->[$c], found $max)");
    }
    my $sum = $node->safe_psql('postgres', sprintf(
      'SELECT sum(balance) FROM bank WHERE id BETWEEN %d AND %d',
      $c * $accounts_per_client + 1, ($c + 1) * $accounts_per_client));
    is($sum, 1000 * $accounts_per_client, "$label: client $c balances sum exactly");
  }
  is($node->safe_psql('postgres', q{SET enable_seqscan = off;
      SELECT count(*) FROM bank b WHERE balance = (SELECT balance FROM bank WHERE id = b.id)}),
    $clients * $accounts_per_client, "$label: primary key finds every account");
  is($node->safe_psql('postgres', q{SET enable_seqscan = off;
      SELECT count(*) = (SELECT count(*) FROM ledger l2 WHERE (l2.client, l2.n) IN
        (SELECT client, n FROM ledger)) FROM ledger}), 't', "$label: ledger index agrees");
}

my @acked = run_and_crash(\&kill_postmaster_and_restart);
check_after_crash('postmaster SIGKILL 1', \@acked, 0);
@acked = run_and_crash(\&kill_one_backend);
check_after_crash('backend SIGKILL', \@acked, 0);
@acked = run_and_crash(\&kill_postmaster_and_restart);
check_after_crash('postmaster SIGKILL 2', \@acked, 0);
@acked = run_and_crash(\&kill_postmaster_and_restart, '-c synchronous_commit=off');
check_after_crash('synchronous_commit off', \@acked, 1);

ok($node->log_contains('terminated by signal 9'), 'a backend crash happened');
$node->stop;
done_testing();
