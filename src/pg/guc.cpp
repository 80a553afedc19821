// guc.cpp - memopt's configuration parameters.
#include "pg_includes.h"

#include <climits>

extern "C" {
#include "utils/guc.h"
}

#include "guc.h"
#include "hooks.h"

int memopt_max_memory_mb = 1024;

void memopt_define_gucs(void) {
  DefineCustomIntVariable(
      "memopt.max_memory", "Size of the shared memory that holds all memopt tables.",
      "Reserved at server start; pages are only touched when used. When it is full, "
      "statements that need more fail with SQLSTATE 53200.",
      &memopt_max_memory_mb, 1024, 16, INT_MAX / 2, PGC_POSTMASTER, GUC_UNIT_MB, NULL, NULL, NULL);
  MarkGUCPrefixReserved("memopt");
}
