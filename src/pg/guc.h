// guc.h - memopt's configuration parameters (defined in guc.cpp).
#pragma once

// memopt.max_memory, in megabytes: the size of the shared-memory arena.
extern int memopt_max_memory_mb;

// memopt.enable_custom_scans: the planner may add MemoptLookup paths.
extern bool memopt_enable_custom_scans;

// memopt.isolation_level: forces a memopt isolation level, or (auto) maps
// PostgreSQL's (session.cpp).
enum {
  MEMOPT_ISOLATION_AUTO,
  MEMOPT_ISOLATION_READ_COMMITTED,
  MEMOPT_ISOLATION_SNAPSHOT,
  MEMOPT_ISOLATION_REPEATABLE_READ,
  MEMOPT_ISOLATION_SERIALIZABLE,
};
extern int memopt_isolation_level;

// memopt.debug_prepared_lock: testing only (validation.cpp).
extern int memopt_debug_prepared_lock;
