// status.cpp - names of engine statuses, for messages and tests.
#include "memopt/status.h"

namespace memopt {

const char *StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kWriteConflict:
      return "write conflict";
    case Status::kKeyShareLocked:
      return "row locked for key share";
    case Status::kRowLocked:
      return "row locked";
    case Status::kSelfModified:
      return "modified by this transaction";
    case Status::kOutOfMemory:
      return "out of memory";
    case Status::kTableFull:
      return "table full";
    case Status::kNotFound:
      return "not found";
    case Status::kReadValidationFailed:
      return "repeatable read validation failure";
    case Status::kPhantomValidationFailed:
      return "serializable validation failure";
    case Status::kDependencyFailed:
      return "commit dependency failure";
    case Status::kPending:
      return "pending";
  }
  return "unknown";
}

}  // namespace memopt
