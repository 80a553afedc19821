// guc.h - memopt's configuration parameters (defined in guc.cpp).
#pragma once

// memopt.max_memory, in megabytes: the size of the shared-memory arena.
extern int memopt_max_memory_mb;

// memopt.enable_custom_scans: the planner may add MemoptLookup paths.
extern bool memopt_enable_custom_scans;
