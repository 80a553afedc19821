// timestamp.h - the 64-bit words stored in a version's begin and end fields.
//
// A word holds either a commit timestamp or a marked transaction id (bit 63
// set), as in Hekaton (Larson et al., VLDB 2011). A transaction id names a
// transaction slot and the slot's sequence number, so a reader can find the
// owner's state without any global map:
//
//   bit 63      1 = transaction id, 0 = timestamp
//   bit 62      in an end field only: a row lock, not a claim (lock word)
//   bits 16-61  sequence number of the slot's transaction (wraps at 2^46)
//   bits 0-15   slot index
//
// A lock word (Transaction::LockRow: FOR UPDATE, FOR NO KEY UPDATE, FOR
// SHARE) says that its transaction holds the row: other writers may not
// claim the version while that transaction runs. It does not end the
// version: every reader treats it as kInfinity.
#pragma once

#include <cstdint>

namespace memopt {

using Timestamp = uint64_t;

// "Not ended" in an end field; "never visible" in a begin field (undone
// versions).
constexpr Timestamp kInfinity = 0x7fffffffffffffffULL;
constexpr uint64_t kTxnIdMark = 1ULL << 63;
// The clock's first value: rows loaded from disk begin here, so every
// transaction, however old its read timestamp, sees them.
constexpr Timestamp kLoadedTimestamp = 1;

constexpr uint64_t kLockMark = 1ULL << 62;
constexpr uint64_t kSequenceMask = (1ULL << 46) - 1;

inline bool IsTxnId(uint64_t word) { return (word & kTxnIdMark) != 0; }
inline uint64_t MakeTxnId(uint64_t sequence, uint32_t slot) {
  return kTxnIdMark | ((sequence & kSequenceMask) << 16) | slot;
}
inline uint64_t MakeLockWord(uint64_t txn_id) { return txn_id | kLockMark; }
inline bool IsLockWord(uint64_t word) {
  return (word & (kTxnIdMark | kLockMark)) == (kTxnIdMark | kLockMark);
}
// The transaction holding lock word `word`.
inline uint64_t LockOwner(uint64_t word) { return word & ~kLockMark; }
// An end field that does not end its version: never claimed, or only locked.
inline bool IsOpenEnd(uint64_t word) { return word == kInfinity || IsLockWord(word); }
inline uint32_t TxnIdSlot(uint64_t txn_id) { return static_cast<uint32_t>(txn_id & 0xffff); }

constexpr uint32_t kMaxSlots = 0xffff;

}  // namespace memopt
