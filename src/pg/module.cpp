// module.cpp - _PG_init: checks how memopt is loaded, defines its GUCs and
// installs its hooks.
//
// memopt reserves shared memory at postmaster start, so it only works when
// loaded through shared_preload_libraries; loaded any other way it refuses
// with a hint rather than half-working.
#include "pg_includes.h"

extern "C" {
#include "utils/guc.h"
}

#include "guc.h"
#include "hooks.h"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

void _PG_init(void) {
  if (!process_shared_preload_libraries_in_progress)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("memopt must be loaded via \"shared_preload_libraries\""),
                    errhint("Add memopt to shared_preload_libraries in postgresql.conf and "
                            "restart the server.")));
  memopt_define_gucs();
  memopt_define_index_options();
  memopt_install_shmem_hooks();
  memopt_register_wal_rmgr();
  memopt_install_xact_callbacks();
  memopt_install_utility_hook();
  memopt_install_object_access_hook();
  memopt_install_planner_hook();
  memopt_install_on_conflict_hook();
  memopt_register_custom_scans();
  memopt_install_cross_container_check();
  memopt_native_modules_reset();
}
