// status.cpp - names of engine statuses, for messages and tests.
#include "memopt/status.h"

namespace memopt {

const char *StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kWriteConflict:
      return "write conflict";
    case Status::kSelfModified:
      return "modified by this transaction";
    case Status::kOutOfMemory:
      return "out of memory";
    case Status::kTableFull:
      return "table full";
    case Status::kNotFound:
      return "not found";
  }
  return "unknown";
}

}  // namespace memopt
