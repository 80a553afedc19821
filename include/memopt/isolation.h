// isolation.h - memopt's isolation levels and what each one validates.
//
// The model is Hekaton's (Larson et al., VLDB 2011): transactions take no
// locks; each keeps what it read, and Transaction::Prepare proves at commit
// time that its level held, or the transaction aborts.
//
//   level            reads at                 validated at commit
//   kReadCommitted   each statement's time    nothing
//   kSnapshot        the transaction's start  nothing (write-write conflicts
//                                             fail at once, at any level)
//   kRepeatableRead  the transaction's start  every version read is still
//                                             current at the commit timestamp
//   kSerializable    the transaction's start  as kRepeatableRead, and every
//                                             scan repeated at the commit
//                                             timestamp finds no new row
//
// A transaction that wrote nothing is serialized at its read timestamp and
// skips validation; it only waits for its commit dependencies.
#pragma once

#include <cstdint>

namespace memopt {

enum class Isolation : uint8_t {
  kReadCommitted = 0,
  kSnapshot = 1,
  kRepeatableRead = 2,
  kSerializable = 3,
};

inline const char *IsolationName(Isolation level) {
  switch (level) {
    case Isolation::kReadCommitted:
      return "read committed";
    case Isolation::kSnapshot:
      return "snapshot";
    case Isolation::kRepeatableRead:
      return "repeatable read";
    case Isolation::kSerializable:
      return "serializable";
  }
  return "unknown";
}

}  // namespace memopt
