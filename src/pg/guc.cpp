// guc.cpp - memopt's configuration parameters.
#include "pg_includes.h"

#include <climits>

extern "C" {
#include "utils/guc.h"
}

#include "guc.h"
#include "hooks.h"

int memopt_max_memory_mb = 1024;
bool memopt_enable_custom_scans = true;

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
  MarkGUCPrefixReserved("memopt");
}
