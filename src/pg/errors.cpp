// errors.cpp - engine statuses as PostgreSQL errors, with their SQLSTATEs.
#include "memopt_pg.h"

#include "guc.h"

#include <cstdio>

extern "C" {
#include "utils/lsyscache.h"
}

namespace {

// The name users know for `rel`. Table rewrites (ALTER TABLE, VACUUM FULL,
// SET ACCESS METHOD) write into a transient relation named pg_temp_<oid of
// the table being rewritten>; name that table instead.
const char *UserFacingName(Relation rel) {
  const char *name = RelationGetRelationName(rel);
  unsigned int original = 0;
  if (sscanf(name, "pg_temp_%u", &original) == 1 && original != 0) {
    const char *original_name = get_rel_name(original);
    if (original_name != nullptr) return original_name;
  }
  return name;
}

}  // namespace

void memopt_report_status(memopt::Status status, Relation rel) {
  const char *name = rel ? UserFacingName(rel) : "?";
  switch (status) {
    case memopt::Status::kWriteConflict:
      ereport(ERROR,
              (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
               errmsg("could not serialize access to table \"%s\" due to concurrent update", name),
               errdetail("Another transaction has updated or deleted the same row since "
                         "this transaction's snapshot was taken."),
               errhint("The transaction might succeed if retried.")));
      break;
    case memopt::Status::kRowLocked:
      ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE),
                      errmsg("could not obtain lock on row in relation \"%s\"", name),
                      errdetail("Another transaction holds a lock on the row.")));
      break;
    case memopt::Status::kKeyShareLocked:
      ereport(ERROR,
              (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
               errmsg("could not serialize access to table \"%s\" due to concurrent update", name),
               errdetail("Another transaction has locked the row FOR KEY SHARE, as a foreign key "
                         "check does for the row it references, since this transaction's "
                         "snapshot was taken."),
               errhint("The transaction might succeed if retried.")));
      break;
    case memopt::Status::kOutOfMemory:
      ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
                      errmsg("out of memopt memory while writing to table \"%s\"", name),
                      errdetail("memopt.max_memory is %d MB.", memopt_max_memory_mb),
                      errhint("Increase memopt.max_memory and restart the server, or free memory "
                              "by deleting rows or dropping memopt tables.")));
      break;
    case memopt::Status::kTableFull:
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                      errmsg("table \"%s\" has too many row versions", name),
                      errhint("Let running transactions finish so old versions can be freed.")));
      break;
    case memopt::Status::kSelfModified:
      ereport(ERROR,
              (errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
               errmsg("row of table \"%s\" was already modified by the current command", name)));
      break;
    default:
      ereport(ERROR,
              (errcode(ERRCODE_INTERNAL_ERROR), errmsg("memopt engine error on table \"%s\": %s",
                                                       name, memopt::StatusName(status))));
  }
  pg_unreachable();
}
