// guc.cpp - memopt's configuration parameters.
#include "pg_includes.h"

#include <climits>

extern "C" {
#include "utils/guc.h"
}

#include "guc.h"
#include "hooks.h"
#include "memopt_pg.h"

int memopt_max_memory_mb = 1024;
bool memopt_enable_custom_scans = true;
int memopt_isolation_level = MEMOPT_ISOLATION_AUTO;
int memopt_debug_prepared_lock = 0;

namespace {

const struct config_enum_entry isolation_options[] = {
    {"auto", MEMOPT_ISOLATION_AUTO, false},
    {"read_committed", MEMOPT_ISOLATION_READ_COMMITTED, false},
    {"snapshot", MEMOPT_ISOLATION_SNAPSHOT, false},
    {"repeatable_read", MEMOPT_ISOLATION_REPEATABLE_READ, false},
    {"serializable", MEMOPT_ISOLATION_SERIALIZABLE, false},
    {nullptr, 0, false}};

// The level is fixed when the memopt transaction begins (session.cpp):
// like SET TRANSACTION ISOLATION LEVEL, changing it afterwards is an error
// rather than a silent no-op. Reverting a SET LOCAL at transaction end runs
// after the memopt transaction has ended, so it passes.
bool CheckIsolationLevel(int *newval, void **extra, GucSource source) {
  (void)extra;
  if (source < PGC_S_INTERACTIVE || *newval == memopt_isolation_level) return true;
  if (memopt_txn_if_active() == nullptr) return true;
  GUC_check_errcode(ERRCODE_ACTIVE_SQL_TRANSACTION);
  GUC_check_errmsg(
      "memopt.isolation_level must be set before the transaction's first access to "
      "a memopt table");
  GUC_check_errhint("Use SET LOCAL right after BEGIN, or SET before the transaction.");
  return false;
}

}  // namespace

void memopt_define_gucs(void) {
  DefineCustomIntVariable(
      "memopt.max_memory", "Size of the shared memory that holds all memopt tables.",
      "Reserved at server start; pages are only touched when used. When it is full, "
      "statements that need more fail with SQLSTATE 53200.",
      &memopt_max_memory_mb, 1024, 16, INT_MAX / 2, PGC_POSTMASTER, GUC_UNIT_MB, NULL, NULL, NULL);
  DefineCustomBoolVariable(
      "memopt.enable_custom_scans",
      "Lets the planner use memopt's custom scan nodes (MemoptLookup).",
      "Off, memopt indexes are read through PostgreSQL's generic index scan, which fetches each "
      "row by its TID.",
      &memopt_enable_custom_scans, true, PGC_USERSET, 0, NULL, NULL, NULL);
  DefineCustomEnumVariable(
      "memopt.isolation_level", "Isolation level of memopt tables in new transactions.",
      "auto maps PostgreSQL's level: READ COMMITTED to read_committed, REPEATABLE READ to "
      "snapshot, SERIALIZABLE to serializable. Takes effect at a transaction's first access to a "
      "memopt table (SET LOCAL works before it).",
      &memopt_isolation_level, MEMOPT_ISOLATION_AUTO, isolation_options, PGC_USERSET, 0,
      CheckIsolationLevel, NULL, NULL);
  DefineCustomIntVariable(
      "memopt.debug_prepared_lock",
      "Testing only: a committing transaction takes this advisory lock once validated.",
      "Nonzero, the transaction waits there in its Preparing state (as pg_advisory_xact_lock "
      "with the same key would), so tests can show commit dependencies.",
      &memopt_debug_prepared_lock, 0, 0, INT_MAX, PGC_SUSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
  MarkGUCPrefixReserved("memopt");
}
