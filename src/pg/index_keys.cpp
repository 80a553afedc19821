// index_keys.cpp - index keys as the engine stores them: encoding, hashing,
// comparison, and reading a version's key.
//
// Encoding (range indexes store it; hash indexes store only its hash):
//   byte 0: number of columns present (a scan's search key may be a prefix)
//   byte 1: flags (kSearch: a scan key, whose cross-type columns hold the
//           argument's type, see MemoptSearchColumn)
//   then a null bitmap, one bit per column present,
//   then each non-null value aligned as in a heap tuple, relative to the start
//   of the key (the engine keeps keys 8-byte aligned). Varlena values are
//   stored detoasted with a 4-byte header.
// One int4 column takes 8 bytes, one int8 16: both fit in a B+-tree slot.
//
// Comparisons follow the column's btree comparison function and collation,
// and the column's DESC and NULLS FIRST options as btree's do (NULLS LAST by
// default, NULLS FIRST by default for DESC). A comparison runs
// inside the engine's B+-tree code, which must not be unwound by longjmp, so
// a comparison function that can raise an error is called under PG_TRY and
// the error is carried out through MemoptCompareContext::error.
#include "index_internal.h"

#include <cmath>
#include <type_traits>

extern "C" {
#include "access/hash.h"
#include "access/nbtree.h"
#include "access/itup.h"
#include "access/tupmacs.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"
}

namespace {

constexpr uint8 kSearch = 1;
constexpr Size kHeaderBytes = 2;

Size BitmapBytes(int ncols) { return (ncols + 7) / 8; }

// Comparison functions that never raise an error on valid input.
bool CannotFail(Oid function) {
  switch (function) {
    case F_BTINT2CMP:
    case F_BTINT4CMP:
    case F_BTINT8CMP:
    case F_BTINT24CMP:
    case F_BTINT42CMP:
    case F_BTINT28CMP:
    case F_BTINT82CMP:
    case F_BTINT48CMP:
    case F_BTINT84CMP:
    case F_BTOIDCMP:
    case F_BTFLOAT4CMP:
    case F_BTFLOAT8CMP:
    case F_BTFLOAT48CMP:
    case F_BTFLOAT84CMP:
    case F_DATE_CMP:
    case F_TIME_CMP:
    case F_TIMESTAMP_CMP:
    case F_TIMESTAMPTZ_CMP:
    case F_INTERVAL_CMP:
    case F_BTBOOLCMP:
    case F_UUID_CMP:
    case F_BTCHARCMP:
    case F_CASH_CMP:
    case F_NUMERIC_CMP:
    case F_BYTEACMP:
    case F_TIMETZ_CMP:
      return true;
    default:
      return false;
  }
}

void LoadColumn(Relation index, int i, MemoptIndexInfo *info) {
  MemoptIndexColumn *column = &info->columns[i];
  Form_pg_attribute attribute = TupleDescAttr(RelationGetDescr(index), i);
  column->type = index->rd_opcintype[i];
  column->typlen = attribute->attlen;
  column->typbyval = attribute->attbyval;
  column->typalign = attribute->attalign;
  column->collation = index->rd_indcollation[i];
  column->opfamily = index->rd_opfamily[i];
  column->guarded = false;
  column->descending = (index->rd_indoption[i] & INDOPTION_DESC) != 0;
  column->nulls_first = (index->rd_indoption[i] & INDOPTION_NULLS_FIRST) != 0;
  MemoryContext context = CacheMemoryContext;
  fmgr_info_copy(info->kind == memopt::IndexKind::kRange ? &column->compare : &column->hash,
                 index_getprocinfo(index, i + 1, 1), context);
  if (info->kind == memopt::IndexKind::kRange) {
    column->guarded = !CannotFail(column->compare.fn_oid);
    TypeCacheEntry *type = lookup_type_cache(attribute->atttypid, TYPECACHE_HASH_EXTENDED_PROC);
    if (OidIsValid(type->hash_extended_proc))
      fmgr_info_cxt(type->hash_extended_proc, &column->hash, context);
    else
      info->equality_hash = false;
    return;
  }
  Oid equal =
      get_opfamily_member(column->opfamily, column->type, column->type, HTEqualStrategyNumber);
  if (!OidIsValid(equal))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                    errmsg("operator family of column %d of index \"%s\" has no equality operator",
                           i + 1, RelationGetRelationName(index))));
  fmgr_info_cxt(get_opcode(equal), &column->equal, context);
}

// Attributes of column i of a key being read or written.
struct ValueType {
  int16 typlen;
  bool typbyval;
  char typalign;
};

ValueType TypeOf(const MemoptIndexInfo *info, const MemoptSearchColumn *search, int i) {
  if (search != nullptr && search[i].cross)
    return ValueType{search[i].typlen, search[i].typbyval, search[i].typalign};
  const MemoptIndexColumn &column = info->columns[i];
  return ValueType{column.typlen, column.typbyval, column.typalign};
}

Size ValueBytes(const ValueType &type, Datum value) {
  if (type.typlen == -1) return VARSIZE(DatumGetPointer(value));
  if (type.typlen == -2) return strlen(DatumGetCString(value)) + 1;
  return type.typlen;
}

// Values with their varlenas detoasted (in place in `values`).
void Detoast(const MemoptIndexInfo *info, const MemoptSearchColumn *search, int ncols,
             Datum *values, const bool *isnull) {
  for (int i = 0; i < ncols; ++i)
    if (!isnull[i] && TypeOf(info, search, i).typlen == -1)
      values[i] = PointerGetDatum(PG_DETOAST_DATUM(values[i]));
}

Size Layout(const MemoptIndexInfo *info, const MemoptSearchColumn *search, int ncols,
            const Datum *values, const bool *isnull, char *buffer) {
  Size offset = kHeaderBytes + BitmapBytes(ncols);
  if (buffer != nullptr) {
    buffer[0] = static_cast<char>(ncols);
    buffer[1] = static_cast<char>(search != nullptr ? kSearch : 0);
  }
  for (int i = 0; i < ncols; ++i) {
    if (isnull[i]) {
      if (buffer != nullptr) buffer[kHeaderBytes + i / 8] |= static_cast<char>(1 << (i % 8));
      continue;
    }
    ValueType type = TypeOf(info, search, i);
    offset = att_align_nominal(offset, type.typlen == -1 ? TYPALIGN_INT : type.typalign);
    Size bytes = ValueBytes(type, values[i]);
    if (buffer != nullptr) {
      if (type.typbyval)
        store_att_byval(buffer + offset, values[i], type.typlen);
      else
        memcpy(buffer + offset, DatumGetPointer(values[i]), bytes);
    }
    offset += bytes;
  }
  return offset;
}

// Reads column values back from an encoded key.
struct Decoded {
  int ncols;
  bool search;
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
};

void Decode(const MemoptIndexInfo *info, const MemoptSearchColumn *search, memopt::KeyRef key,
            Decoded *out) {
  const char *base = static_cast<const char *>(key.data);
  out->ncols = static_cast<uint8>(base[0]);
  out->search = (base[1] & kSearch) != 0;
  const MemoptSearchColumn *types = out->search ? search : nullptr;
  Size offset = kHeaderBytes + BitmapBytes(out->ncols);
  for (int i = 0; i < out->ncols; ++i) {
    out->isnull[i] = (base[kHeaderBytes + i / 8] >> (i % 8)) & 1;
    if (out->isnull[i]) {
      out->values[i] = 0;
      continue;
    }
    ValueType type = TypeOf(info, types, i);
    offset = att_align_nominal(offset, type.typlen == -1 ? TYPALIGN_INT : type.typalign);
    out->values[i] = fetch_att(base + offset, type.typbyval, type.typlen);
    offset += ValueBytes(type, out->values[i]);
  }
}

// Compares column i of an entry with column i of `other` (an entry, or a
// search key whose column may be cross-type). May raise an error.
int CompareColumn(const MemoptCompareContext *context, int i, Datum entry, bool entry_null,
                  Datum other, bool other_null, bool other_is_search) {
  const MemoptIndexColumn &column = context->info->columns[i];
  if (entry_null || other_null) {
    if (entry_null == other_null) return 0;
    return entry_null == column.nulls_first ? -1 : 1;
  }
  FmgrInfo *function = const_cast<FmgrInfo *>(&column.compare);
  if (other_is_search && context->search != nullptr && context->search[i].cross)
    function = const_cast<FmgrInfo *>(&context->search[i].compare);
  int32 order = DatumGetInt32(FunctionCall2Coll(function, column.collation, entry, other));
  int sign = (order > 0) - (order < 0);  // callers negate it: never INT_MIN
  return column.descending ? -sign : sign;
}

// a vs b, both decoded; at most one is a search key.
int CompareDecoded(const MemoptCompareContext *context, const Decoded &a, const Decoded &b) {
  int ncols = Min(a.ncols, b.ncols);
  for (int i = 0; i < ncols; ++i) {
    int result;
    if (a.search)
      result = -CompareColumn(context, i, b.values[i], b.isnull[i], a.values[i], a.isnull[i], true);
    else
      result =
          CompareColumn(context, i, a.values[i], a.isnull[i], b.values[i], b.isnull[i], b.search);
    if (result != 0) return result < 0 ? -1 : 1;
  }
  return 0;
}

bool NeedsGuard(const MemoptCompareContext *context, int ncols) {
  for (int i = 0; i < ncols; ++i)
    if (context->info->columns[i].guarded || (context->search && context->search[i].cross))
      return true;
  return false;
}

// The engine's KeyComparator: never lets an error unwind the engine.
int CompareForEngine(const void *opaque, memopt::KeyRef a, memopt::KeyRef b, bool *failed) {
  auto *context = static_cast<MemoptCompareContext *>(const_cast<void *>(opaque));
  Decoded left, right;
  Decode(context->info, context->search, a, &left);
  Decode(context->info, context->search, b, &right);
  if (!NeedsGuard(context, Min(left.ncols, right.ncols)))
    return CompareDecoded(context, left, right);
  volatile int result = 0;
  MemoryContext caller = CurrentMemoryContext;
  PG_TRY();
  { result = CompareDecoded(context, left, right); }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller);
    if (context->error == nullptr) context->error = CopyErrorData();
    FlushErrorState();
    *failed = true;
    result = 0;
  }
  PG_END_TRY();
  return result;
}

Size KeySize(const MemoptIndexInfo *info, const MemoptSearchColumn *search, int ncols,
             const Datum *values, const bool *isnull) {
  return Layout(info, search, ncols, values, isnull, nullptr);
}

void KeyFill(const MemoptIndexInfo *info, const MemoptSearchColumn *search, int ncols,
             const Datum *values, const bool *isnull, char *buffer, Size size) {
  memset(buffer, 0, size);  // padding and the null bitmap
  Layout(info, search, ncols, values, isnull, buffer);
}

// Prefixes (abbreviated keys, see range_index.h) of the first column, for
// types whose order a 64-bit number can carry: integer-like values, floats
// and intervals map to unsigned numbers in their order, uuids and
// bytewise-ordered strings to their first 8 bytes, a key of no columns to 0
// and a NULL (last, as CompareColumn sorts it) to the largest number. Equal
// prefixes of different keys (further columns, strings or uuids that differ
// later, int8's extremes meeting 0 and the largest) are allowed: the
// comparator decides those.
constexpr uint64 kNullPrefix = ~uint64{0};

// Where the first column's value starts in an encoded key, aligned to `align`.
Size FirstValueOffset(const char *key, Size align) {
  Size offset = kHeaderBytes + BitmapBytes(static_cast<uint8>(key[0]));
  return (offset + align - 1) / align * align;
}

// A prefix function: keys of no columns and NULLs here, a value's prefix
// by kValuePrefix (called only with a non-null first value).
template <uint64 (*kValuePrefix)(memopt::KeyRef)>
uint64 FirstColumnPrefix(const void *opaque, memopt::KeyRef key) {
  (void)opaque;
  const char *x = static_cast<const char *>(key.data);
  if (x[0] == 0) return 0;
  if (x[kHeaderBytes] & 1) return kNullPrefix;
  return kValuePrefix(key);
}

// The same for a first column with DESC or NULLS FIRST: the value's prefix
// inverted for DESC, NULL at 0 for NULLS FIRST (opaque is the index's
// MemoptCompareContext).
template <uint64 (*kValuePrefix)(memopt::KeyRef)>
uint64 OrderedFirstColumnPrefix(const void *opaque, memopt::KeyRef key) {
  const MemoptIndexColumn &column =
      static_cast<const MemoptCompareContext *>(opaque)->info->columns[0];
  const char *x = static_cast<const char *>(key.data);
  if (x[0] == 0) return 0;
  if (x[kHeaderBytes] & 1) return column.nulls_first ? 0 : kNullPrefix;
  uint64 prefix = kValuePrefix(key);
  return column.descending ? ~prefix : prefix;
}

template <typename T>
uint64 IntegerValuePrefix(memopt::KeyRef key) {
  const char *x = static_cast<const char *>(key.data);
  Size offset = FirstValueOffset(x, sizeof(T));
  Assert(key.size >= offset + sizeof(T));
  T value;
  memcpy(&value, x + offset, sizeof value);
  if (std::is_signed<T>::value)
    return static_cast<uint64>(static_cast<int64>(value)) ^ (uint64{1} << 63);
  return static_cast<uint64>(value) + 1;
}

// uuid_cmp is memcmp of the 16 bytes: the first 8, big-endian.
uint64 UuidValuePrefix(memopt::KeyRef key) {
  const char *x = static_cast<const char *>(key.data);
  Size offset = FirstValueOffset(x, 1);
  Assert(key.size >= offset + UUID_LEN);
  const auto *bytes = reinterpret_cast<const unsigned char *>(x + offset);
  uint64 prefix = 0;
  for (int i = 0; i < 8; ++i) prefix = prefix << 8 | bytes[i];
  // Kept above 0 and below kNullPrefix, apart from no columns and NULL.
  return prefix == kNullPrefix ? prefix - 1 : prefix == 0 ? 1 : prefix;
}

// float4/float8 as btfloat4cmp/btfloat8cmp order them: -0 equals 0 and
// every NaN sorts above infinity. The sign-flipped bits of a double are
// unsigned numbers in the double's order.
template <typename T>
uint64 FloatValuePrefix(memopt::KeyRef key) {
  const char *x = static_cast<const char *>(key.data);
  T stored;
  memcpy(&stored, x + FirstValueOffset(x, sizeof(T)), sizeof stored);
  double value = stored;  // exact for float4
  if (std::isnan(value)) return kNullPrefix - 1;
  if (value == 0) value = 0;  // -0
  uint64 bits;
  memcpy(&bits, &value, sizeof bits);
  return (bits >> 63) != 0 ? ~bits : bits | uint64{1} << 63;
}

// interval as interval_cmp orders it: by its span in microseconds, a month
// counting 30 days and a day 24 hours, clamped to 64 bits (spans beyond
// about 292,000 years share the extreme prefixes; the comparator decides).
uint64 IntervalValuePrefix(memopt::KeyRef key) {
  const char *x = static_cast<const char *>(key.data);
  Interval value;
  memcpy(&value, x + FirstValueOffset(x, alignof(Interval)), sizeof value);
  __int128 span = static_cast<__int128>(value.time) +
                  (static_cast<__int128>(value.month) * 30 + value.day) * USECS_PER_DAY;
  int64 clamped = span > PG_INT64_MAX   ? PG_INT64_MAX
                  : span < PG_INT64_MIN ? PG_INT64_MIN
                                        : static_cast<int64>(span);
  return static_cast<uint64>(clamped) ^ (uint64{1} << 63);
}

// The first 8 bytes of `length` bytes at `data`, big-endian, zero-padded:
// the order of memcmp-then-length comparisons (a shorter string that is a
// prefix of a longer one sorts first and gets a prefix no larger).
uint64 LeadingBytes(const char *data, Size length) {
  const auto *bytes = reinterpret_cast<const unsigned char *>(data);
  uint64 prefix = 0;
  for (Size i = 0; i < 8; ++i) prefix = prefix << 8 | (i < length ? bytes[i] : 0);
  return prefix;
}

// The first column's varlena (stored with a 4-byte header, see the top of
// the file) in a key with a non-null first column: its bytes and length,
// trimmed as bpchar's comparison trims (bcTruelen) when kTrimSpaces.
template <bool kTrimSpaces>
const char *BytewiseValue(memopt::KeyRef key, Size *length) {
  const char *x = static_cast<const char *>(key.data);
  const char *value = x + FirstValueOffset(x, sizeof(int32));
  Assert(key.size >= static_cast<Size>(value - x) + VARSIZE(value));
  *length = VARSIZE(value) - VARHDRSZ;
  if (kTrimSpaces)
    while (*length > 0 && VARDATA(value)[*length - 1] == ' ') --*length;
  return VARDATA(value);
}

template <bool kTrimSpaces>
uint64 BytewiseValuePrefix(memopt::KeyRef key) {
  Size length;
  const char *data = BytewiseValue<kTrimSpaces>(key, &length);
  return LeadingBytes(data, length);
}

// Of two keys, the one of no columns or else the NULL one sorts where
// CompareColumn puts it: *decided and the order, or not *decided when both
// first columns hold values.
int CompareAbsentOrNull(const char *x, const char *y, bool *decided) {
  *decided = true;
  if (x[0] == 0 || y[0] == 0) return (x[0] != 0) - (y[0] != 0);  // a prefix of no columns
  bool x_null = x[kHeaderBytes] & 1, y_null = y[kHeaderBytes] & 1;
  if (x_null || y_null) return x_null == y_null ? 0 : x_null ? 1 : -1;
  *decided = false;
  return 0;
}

// One string column whose comparison is bytewise (memcmp, then the shorter
// first), compared directly: varstr_cmp's C-collation path, byteacmp,
// the pattern comparisons, and bpchar's after trimming.
template <bool kTrimSpaces>
int CompareOneBytewiseColumn(const void *opaque, memopt::KeyRef a, memopt::KeyRef b, bool *failed) {
  (void)opaque;
  (void)failed;
  bool decided;
  int order = CompareAbsentOrNull(static_cast<const char *>(a.data),
                                  static_cast<const char *>(b.data), &decided);
  if (decided) return order;
  Size a_length, b_length;
  const char *a_data = BytewiseValue<kTrimSpaces>(a, &a_length);
  const char *b_data = BytewiseValue<kTrimSpaces>(b, &b_length);
  order = memcmp(a_data, b_data, Min(a_length, b_length));
  if (order != 0) return order < 0 ? -1 : 1;
  return a_length < b_length ? -1 : a_length > b_length ? 1 : 0;
}

// The common case, one integer-like key column compared with its own type:
// read both values at their fixed offset and compare them directly (no
// decoding, no function call). NULL sorts last, as in CompareColumn.
template <typename T>
int CompareOneFixedColumn(const void *opaque, memopt::KeyRef a, memopt::KeyRef b, bool *failed) {
  (void)opaque;
  (void)failed;
  const char *x = static_cast<const char *>(a.data);
  const char *y = static_cast<const char *>(b.data);
  bool decided;
  int order = CompareAbsentOrNull(x, y, &decided);
  if (decided) return order;
  constexpr Size offset = (kHeaderBytes + 1 + sizeof(T) - 1) / sizeof(T) * sizeof(T);
  T u, v;
  memcpy(&u, x + offset, sizeof u);
  memcpy(&v, y + offset, sizeof v);
  return u < v ? -1 : u > v ? 1 : 0;
}

// The direct comparison of a key of this one column, and the prefix of a
// first column of its type in ascending order with NULLs last and in
// another order; any may be nullptr.
struct ColumnFunctions {
  memopt::KeyComparator::Compare compare;
  memopt::KeyComparator::Prefix prefix;
  memopt::KeyComparator::Prefix ordered_prefix;
};

template <uint64 (*kValuePrefix)(memopt::KeyRef)>
ColumnFunctions Prefixed(memopt::KeyComparator::Compare compare) {
  return ColumnFunctions{compare, FirstColumnPrefix<kValuePrefix>,
                         OrderedFirstColumnPrefix<kValuePrefix>};
}

template <typename T>
ColumnFunctions FixedColumn() {
  return Prefixed<IntegerValuePrefix<T>>(CompareOneFixedColumn<T>);
}

template <bool kTrimSpaces>
ColumnFunctions BytewiseColumn() {
  return Prefixed<BytewiseValuePrefix<kTrimSpaces>>(CompareOneBytewiseColumn<kTrimSpaces>);
}

// By the column's btree comparison function: integer-like types compare
// their values directly; floats, intervals and uuids have prefixes. Strings qualify
// when their comparison is bytewise: always for bytea and the pattern
// comparisons, for text, varchar and char under the C collation (as in
// PostgreSQL's own abbreviated keys, other collations would need strxfrm,
// which glibc does not keep consistent with strcoll).
ColumnFunctions ColumnFunctionsFor(const MemoptIndexColumn &column) {
  switch (column.compare.fn_oid) {
    case F_BTBOOLCMP:
      return FixedColumn<uint8>();
    case F_BTINT2CMP:
      return FixedColumn<int16>();
    case F_BTINT4CMP:
    case F_DATE_CMP:
      return FixedColumn<int32>();
    case F_BTINT8CMP:
    case F_TIMESTAMP_CMP:
    case F_TIMESTAMPTZ_CMP:
    case F_TIME_CMP:
      return FixedColumn<int64>();
    case F_BTOIDCMP:
      return FixedColumn<uint32>();
    case F_UUID_CMP:
      return Prefixed<UuidValuePrefix>(nullptr);
    case F_BTFLOAT4CMP:
      return Prefixed<FloatValuePrefix<float4>>(nullptr);
    case F_BTFLOAT8CMP:
      return Prefixed<FloatValuePrefix<float8>>(nullptr);
    case F_INTERVAL_CMP:
      return Prefixed<IntervalValuePrefix>(nullptr);
    case F_BYTEACMP:
    case F_BTTEXT_PATTERN_CMP:
      return BytewiseColumn<false>();
    case F_BTBPCHAR_PATTERN_CMP:
      return BytewiseColumn<true>();
    case F_BTTEXTCMP:
      if (lc_collate_is_c(column.collation)) return BytewiseColumn<false>();
      break;
    case F_BPCHARCMP:
      if (lc_collate_is_c(column.collation)) return BytewiseColumn<true>();
      break;
  }
  return ColumnFunctions{nullptr, nullptr, nullptr};
}

bool FirstColumnIsCross(const MemoptCompareContext *context) {
  return context->search != nullptr && context->search[0].cross;
}

// The direct comparisons know only ascending values with NULLs last: a first
// column in another order is compared through CompareColumn, with prefixes.
void ChooseRangeFunctions(MemoptIndexInfo *info) {
  const MemoptIndexColumn &column = info->columns[0];
  ColumnFunctions first = ColumnFunctionsFor(column);
  if (column.descending || column.nulls_first) {
    info->prefix = first.ordered_prefix;
    return;
  }
  info->direct_compare = info->natts == 1 ? first.compare : nullptr;
  info->prefix = first.prefix;
}

// Key information lives for the whole backend, in a list keyed by the
// index's OID and relfilenode: nothing in it can change without a new
// relfilenode (REINDEX), so a relcache flush, which frees rd_amcache while a
// scan may still hold the information, never frees it; rd_amcache only
// caches the lookup.
struct CachedInfo {
  Oid index_oid;
  Oid relfilenode;
  MemoptIndexInfo *info;
  CachedInfo *next;
};
CachedInfo *cached_infos = nullptr;

MemoptIndexInfo *LoadInfo(Relation index) {
  auto *info = static_cast<MemoptIndexInfo *>(
      MemoryContextAllocZero(CacheMemoryContext, sizeof(MemoptIndexInfo)));
  info->kind = index->rd_rel->relam == get_index_am_oid("memopt_hash", false)
                   ? memopt::IndexKind::kHash
                   : memopt::IndexKind::kRange;
  info->natts = IndexRelationGetNumberOfKeyAttributes(index);
  info->unique = index->rd_index->indisunique;
  info->nulls_not_distinct = index->rd_index->indnullsnotdistinct;
  info->equality_hash = true;  // until a column has none
  for (int i = 0; i < info->natts; ++i) LoadColumn(index, i, info);
  if (info->kind == memopt::IndexKind::kRange) ChooseRangeFunctions(info);
  return info;
}

struct InfoHandle {
  MemoptIndexInfo *info;
};

}  // namespace

const MemoptIndexInfo *memopt_index_info(Relation index) {
  if (index->rd_amcache != nullptr) return static_cast<InfoHandle *>(index->rd_amcache)->info;
  CachedInfo *entry = cached_infos;
  while (entry != nullptr && !(entry->index_oid == RelationGetRelid(index) &&
                               entry->relfilenode == index->rd_node.relNode))
    entry = entry->next;
  if (entry == nullptr) {
    MemoptIndexInfo *info = LoadInfo(index);  // may raise an error: before linking
    entry = static_cast<CachedInfo *>(MemoryContextAlloc(CacheMemoryContext, sizeof(CachedInfo)));
    *entry = CachedInfo{RelationGetRelid(index), index->rd_node.relNode, info, cached_infos};
    cached_infos = entry;
  }
  auto *handle =
      static_cast<InfoHandle *>(MemoryContextAlloc(index->rd_indexcxt, sizeof(InfoHandle)));
  handle->info = entry->info;
  index->rd_amcache = handle;
  return entry->info;
}

memopt::KeyRef memopt_key_encode(const MemoptIndexInfo *info, const MemoptSearchColumn *search,
                                 int ncols, const Datum *values, const bool *isnull) {
  Datum detoasted[INDEX_MAX_KEYS];
  memcpy(detoasted, values, sizeof(Datum) * ncols);
  Detoast(info, search, ncols, detoasted, isnull);
  Size size = KeySize(info, search, ncols, detoasted, isnull);
  char *buffer = static_cast<char *>(palloc(MAXALIGN(size)));
  KeyFill(info, search, ncols, detoasted, isnull, buffer, size);
  return memopt::KeyRef{buffer, static_cast<uint32_t>(size)};
}

memopt::KeyComparator memopt_comparator(MemoptCompareContext *context) {
  if (context->info->kind != memopt::IndexKind::kRange)
    return memopt::KeyComparator{CompareForEngine, context};
  // A cross-type first column is encoded as the argument's type.
  if (FirstColumnIsCross(context)) return memopt::KeyComparator{CompareForEngine, context};
  const MemoptIndexInfo *info = context->info;
  return memopt::KeyComparator{
      info->direct_compare != nullptr ? info->direct_compare : CompareForEngine, context,
      info->prefix};
}

void memopt_rethrow_comparison_error(MemoptCompareContext *context) {
  ErrorData *error = context->error;
  if (error == nullptr) elog(ERROR, "memopt index comparison failed");
  context->error = nullptr;
  ReThrowError(error);
}

int memopt_key_compare(MemoptCompareContext *context, memopt::KeyRef a, memopt::KeyRef b) {
  Decoded left, right;
  Decode(context->info, context->search, a, &left);
  Decode(context->info, context->search, b, &right);
  return CompareDecoded(context, left, right);
}

int memopt_key_decode(const MemoptIndexInfo *info, const MemoptSearchColumn *search,
                      memopt::KeyRef key, Datum *values, bool *isnull) {
  Decoded decoded;
  Decode(info, search, key, &decoded);
  memcpy(values, decoded.values, sizeof(Datum) * decoded.ncols);
  memcpy(isnull, decoded.isnull, sizeof(bool) * decoded.ncols);
  return decoded.ncols;
}

int memopt_key_compare_values(const MemoptIndexInfo *info, memopt::KeyRef entry,
                              const Datum *values, const bool *isnull) {
  Decoded decoded;
  Decode(info, nullptr, entry, &decoded);
  MemoptCompareContext context{info, nullptr, nullptr};
  for (int i = 0; i < decoded.ncols; ++i) {
    int result = CompareColumn(&context, i, decoded.values[i], decoded.isnull[i], values[i],
                               isnull[i], false);
    if (result != 0) return result;
  }
  return 0;
}

uint64 memopt_key_hash(const MemoptIndexInfo *info, const MemoptSearchColumn *search,
                       const Datum *values, const bool *isnull) {
  uint64 hash = 0;
  for (int i = 0; i < info->natts; ++i) {
    uint64 column_hash = 0x9e3779b97f4a7c15ULL;  // NULL
    if (!isnull[i]) {
      FmgrInfo *function = search != nullptr && search[i].cross
                               ? const_cast<FmgrInfo *>(&search[i].hash)
                               : const_cast<FmgrInfo *>(&info->columns[i].hash);
      column_hash = DatumGetUInt64(
          FunctionCall2Coll(function, info->columns[i].collation, values[i], UInt64GetDatum(0)));
    }
    hash = hash_combine64(hash, column_hash);
  }
  return hash;
}

bool memopt_key_values_equal(const MemoptIndexInfo *info, const Datum *a, const bool *a_null,
                             const Datum *b, const bool *b_null) {
  for (int i = 0; i < info->natts; ++i) {
    if (a_null[i] || b_null[i]) {
      if (!(a_null[i] && b_null[i] && info->nulls_not_distinct)) return false;
      continue;
    }
    auto &column = const_cast<MemoptIndexColumn &>(info->columns[i]);
    bool equal =
        info->kind == memopt::IndexKind::kHash
            ? DatumGetBool(FunctionCall2Coll(&column.equal, column.collation, a[i], b[i]))
            : DatumGetInt32(FunctionCall2Coll(&column.compare, column.collation, a[i], b[i])) == 0;
    if (!equal) return false;
  }
  return true;
}

bool memopt_key_has_null(const MemoptIndexInfo *info, const bool *isnull) {
  for (int i = 0; i < info->natts; ++i)
    if (isnull[i]) return true;
  return false;
}

// --- Keys of versions --------------------------------------------------------

namespace {

MemoptKeyReader *CreateReader(Relation index, MemoryContext context) {
  MemoryContext old = MemoryContextSwitchTo(context);
  auto *reader = static_cast<MemoptKeyReader *>(palloc0(sizeof(MemoptKeyReader)));
  reader->index_info = BuildIndexInfo(index);
  reader->estate = CreateExecutorState();
  MemoryContextSwitchTo(old);
  return reader;
}

// Whether tuples of `b` deform the same way as tuples of `a`.
bool SameColumns(TupleDesc a, TupleDesc b) {
  if (a->natts != b->natts) return false;
  for (int i = 0; i < a->natts; ++i) {
    Form_pg_attribute x = TupleDescAttr(a, i), y = TupleDescAttr(b, i);
    if (x->atttypid != y->atttypid || x->attlen != y->attlen || x->attalign != y->attalign ||
        x->attisdropped != y->attisdropped || x->atttypmod != y->atttypmod ||
        x->atthasmissing != y->atthasmissing)
      return false;
  }
  return true;
}

// The parts that depend on the table's descriptor, made on first use.
void PrepareReader(MemoptKeyReader *reader, Relation heap) {
  reader->heap = heap;
  if (reader->slot != nullptr) {
    // ALTER TABLE can change the table's columns without a new index.
    if (SameColumns(reader->slot->tts_tupleDescriptor, RelationGetDescr(heap))) return;
    ExecDropSingleTupleTableSlot(reader->slot);
    reader->slot = nullptr;
  }
  MemoryContext old = MemoryContextSwitchTo(reader->estate->es_query_cxt);
  // An unpinned copy of the descriptor (a cached reader is never dropped
  // explicitly and must not hold a pin), with its constraints: they carry
  // the values of columns added after a version was written (attmissingval).
  reader->slot = MakeSingleTupleTableSlot(CreateTupleDescCopyConstr(RelationGetDescr(heap)),
                                          memopt_slot_ops());
  GetPerTupleExprContext(reader->estate)->ecxt_scantuple = reader->slot;
  if (reader->index_info->ii_Predicate != NIL && reader->predicate == nullptr)
    reader->predicate = ExecPrepareQual(reader->index_info->ii_Predicate, reader->estate);
  MemoryContextSwitchTo(old);
}

}  // namespace

MemoptKeyReader *memopt_key_reader_acquire(Relation heap, Relation index) {
  auto *info = const_cast<MemoptIndexInfo *>(memopt_index_info(index));
  if (info->reader_in_use != MyProc->lxid) {
    if (info->reader == nullptr) {
      info->reader = CreateReader(index, CacheMemoryContext);
      info->reader->cached = true;
    }
    info->reader_in_use = MyProc->lxid;
    PrepareReader(info->reader, heap);
    return info->reader;
  }
  MemoptKeyReader *reader = CreateReader(index, CurrentMemoryContext);
  PrepareReader(reader, heap);
  return reader;
}

void memopt_key_reader_release(Relation index, MemoptKeyReader *reader) {
  if (reader->cached) {
    auto *info = const_cast<MemoptIndexInfo *>(memopt_index_info(index));
    if (info->reader == reader) info->reader_in_use = InvalidLocalTransactionId;
    return;
  }
  ExecDropSingleTupleTableSlot(reader->slot);
  FreeExecutorState(reader->estate);
  pfree(reader);
}

bool memopt_version_key(MemoptKeyReader *reader, memopt::Version *version, Datum *values,
                        bool *isnull) {
  ExprContext *econtext = GetPerTupleExprContext(reader->estate);
  ResetExprContext(econtext);
  memopt_store_version(version, reader->heap, reader->slot);
  if (reader->predicate != nullptr && !ExecQual(reader->predicate, econtext)) return false;
  FormIndexDatum(reader->index_info, reader->slot, reader->estate, values, isnull);
  return true;
}

// --- Index-only scans --------------------------------------------------------

// Every key column can be returned: scans read the key values from the
// version they return, so an index-only scan shows exactly the row's values.
bool memopt_index_can_return(Relation index, int attno) {
  (void)index;
  (void)attno;
  return true;
}

void memopt_index_return_key(IndexScanDesc scan, const Datum *values, const bool *isnull) {
  if (!scan->xs_want_itup) return;
  if (scan->xs_itup != nullptr) pfree(scan->xs_itup);
  TupleDesc descriptor = RelationGetDescr(scan->indexRelation);
  scan->xs_itup =
      index_form_tuple(descriptor, const_cast<Datum *>(values), const_cast<bool *>(isnull));
  scan->xs_itupdesc = descriptor;
}
