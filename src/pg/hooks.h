// hooks.h - what _PG_init installs; each function lives in the file that
// owns its concern.
#pragma once

void memopt_define_gucs(void);                    // guc.cpp
void memopt_install_shmem_hooks(void);            // shmem.cpp
void memopt_install_xact_callbacks(void);         // xact.cpp
void memopt_install_utility_hook(void);           // utility_hook.cpp
void memopt_install_object_access_hook(void);     // object_access.cpp
void memopt_install_planner_hook(void);           // planner.cpp
void memopt_define_index_options(void);           // hash_am.cpp
void memopt_register_custom_scans(void);          // custom_lookup.cpp
void memopt_install_on_conflict_hook(void);       // on_conflict.cpp
void memopt_register_wal_rmgr(void);              // wal_rmgr.cpp
void memopt_install_cross_container_check(void);  // cross_container.cpp
void memopt_native_modules_reset(void);           // native_modules.cpp (postmaster start)

// access_method_change.cpp (called by the utility hook): an ALTER TABLE ...
// SET ACCESS METHOD to or from memopt moves the table's indexes to the
// matching index AMs first.
struct AlterTableStmt;
void memopt_convert_indexes_for_am_change(AlterTableStmt *stmt);

// publication_guard.cpp (called by the utility hook after each statement):
// memopt tables are refused in publications' table lists and warned about
// when FOR ALL TABLES or TABLES IN SCHEMA takes them in.
struct Node;
void memopt_check_publications_after(Node *stmt);

// partition_guard.cpp (called by the utility hook before PostgreSQL runs a
// statement): memopt partitions under partitioned indexes they cannot have.
void memopt_check_partition_statement(Node *stmt);
void memopt_refuse_partitioned_unique(const char *relname);

// foreign_key.cpp (called by the utility hook): foreign keys that reference
// memopt tables. take_ removes them from an ALTER TABLE before PostgreSQL
// runs it (returning the Constraint nodes); add_ makes them afterwards.
struct List;
List *memopt_take_memopt_references(AlterTableStmt *stmt);
void memopt_add_memopt_references(AlterTableStmt *stmt, List *constraints,
                                  const char *query_string);
void memopt_check_column_type_change(AlterTableStmt *stmt);
