// tuple_form.cpp - rows in and out of the arena as flattened MinimalTuples.
//
// A version's payload is a MinimalTuple built directly in the arena (one
// copy), with every value self-contained: TOAST pointers into other tables
// are fetched (detoast_external_attr), expanded objects are flattened by
// heap_fill_tuple. memopt tables have no TOAST table, but like heap they
// compress large values (over TOAST_TUPLE_THRESHOLD) with the column's
// compression method: memory is the scarce resource here.
//
// Scans hand the executor slots that point straight at the payload in shared
// memory; the payload never changes after the version is published.
#include "memopt_pg.h"

extern "C" {
#include "access/detoast.h"
#include "access/heaptoast.h"
#include "access/toast_compression.h"
#include "access/toast_internals.h"
#include "access/htup_details.h"
#include "executor/tuptable.h"
#include "nodes/bitmapset.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
}

namespace {

// Does the value need fetching from TOAST or compressing before storage?
bool NeedsFlattening(Form_pg_attribute attr, Datum datum) {
  struct varlena *value = reinterpret_cast<struct varlena *>(DatumGetPointer(datum));
  if (VARATT_IS_EXTERNAL(value)) return !VARATT_IS_EXTERNAL_EXPANDED(value);
  return !VARATT_IS_EXTENDED(value) && VARSIZE(value) > TOAST_TUPLE_THRESHOLD &&
         attr->attstorage != TYPSTORAGE_PLAIN && attr->attstorage != TYPSTORAGE_EXTERNAL;
}

// Fetches an out-of-line TOAST value and compresses a large uncompressed one
// when that makes it smaller.
Datum Flatten(Form_pg_attribute attr, Datum datum) {
  struct varlena *value = reinterpret_cast<struct varlena *>(DatumGetPointer(datum));
  if (VARATT_IS_EXTERNAL(value)) {
    value = detoast_external_attr(value);
    datum = PointerGetDatum(value);
    if (VARATT_IS_EXTENDED(value) || VARSIZE(value) <= TOAST_TUPLE_THRESHOLD) return datum;
  }
  char method = CompressionMethodIsValid(attr->attcompression)
                    ? attr->attcompression
                    : static_cast<char>(default_toast_compression);
  Datum compressed = toast_compress_datum(datum, method);
  return DatumGetPointer(compressed) != nullptr ? compressed : datum;
}

// The values to store: the slot's own array unless some value must change,
// then a copy with those values replaced.
Datum *ValuesToStore(TupleDesc desc, TupleTableSlot *slot) {
  Datum *values = slot->tts_values;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute attr = TupleDescAttr(desc, i);
    if (slot->tts_isnull[i] || attr->attlen != -1 || !NeedsFlattening(attr, values[i])) continue;
    if (values == slot->tts_values) {
      values = static_cast<Datum *>(palloc(sizeof(Datum) * desc->natts));
      memcpy(values, slot->tts_values, sizeof(Datum) * desc->natts);
    }
    values[i] = Flatten(attr, values[i]);
  }
  return values;
}

}  // namespace

memopt::Version *memopt_form_version(memopt::Transaction *txn, memopt::Table *table, Relation rel,
                                     TupleTableSlot *slot) {
  TupleDesc desc = RelationGetDescr(rel);
  slot_getallattrs(slot);
  int natts = desc->natts;
  Datum *values = ValuesToStore(desc, slot);
  bool *isnull = slot->tts_isnull;

  bool hasnull = false;
  for (int i = 0; i < natts && !hasnull; ++i) hasnull = isnull[i];
  Size header = SizeofMinimalTupleHeader + (hasnull ? BITMAPLEN(natts) : 0);
  header = MAXALIGN(header);
  Size data_bytes = heap_compute_data_size(desc, values, isnull);
  Size total = header + data_bytes;
  if (total > MaxAllocSize)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("row is too big: size %zu, maximum size %zu", total,
                           static_cast<Size>(MaxAllocSize))));

  memopt::Version *version = txn->NewVersion(table, total);
  if (version == nullptr) memopt_report_status(memopt::Status::kOutOfMemory, rel);
  MinimalTuple tuple = reinterpret_cast<MinimalTuple>(version->payload());
  // All of it, not just the header: heap_fill_tuple skips alignment padding,
  // and readers take a nonzero byte where padding may be for the header of a
  // short varlena (att_align_pointer). Reused arena blocks are not zero.
  memset(tuple, 0, total);
  tuple->t_len = total;
  HeapTupleHeaderSetNatts(tuple, natts);
  tuple->t_hoff = header + MINIMAL_TUPLE_OFFSET;
  heap_fill_tuple(desc, values, isnull, reinterpret_cast<char *>(tuple) + header, data_bytes,
                  &tuple->t_infomask, hasnull ? tuple->t_bits : nullptr);
  if (values != slot->tts_values) pfree(values);
  return version;
}

namespace {

// A version's payload read as a HeapTuple (the header heap_getattr wants
// sits MINIMAL_TUPLE_OFFSET bytes before the MinimalTuple).
HeapTupleData AsHeapTuple(const memopt::Version *version) {
  auto tuple = reinterpret_cast<MinimalTuple>(const_cast<char *>(version->payload()));
  HeapTupleData heap_tuple;
  heap_tuple.t_len = tuple->t_len + MINIMAL_TUPLE_OFFSET;
  heap_tuple.t_data =
      reinterpret_cast<HeapTupleHeader>(reinterpret_cast<char *>(tuple) - MINIMAL_TUPLE_OFFSET);
  ItemPointerSetInvalid(&heap_tuple.t_self);
  heap_tuple.t_tableOid = InvalidOid;
  return heap_tuple;
}

bool ColumnsChanged(Relation rel, const memopt::Version *before, const memopt::Version *after,
                    IndexAttrBitmapKind kind) {
  Bitmapset *indexed = RelationGetIndexAttrBitmap(rel, kind);
  if (indexed == nullptr) return false;
  HeapTupleData old_tuple = AsHeapTuple(before);
  HeapTupleData new_tuple = AsHeapTuple(after);
  TupleDesc desc = RelationGetDescr(rel);
  bool changed = false;
  int member = -1;
  while (!changed && (member = bms_next_member(indexed, member)) >= 0) {
    AttrNumber attnum = member + FirstLowInvalidHeapAttributeNumber;
    if (attnum <= 0) {  // a whole-row or system column in an index: assume so
      changed = true;
      break;
    }
    Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);
    bool old_null, new_null;
    Datum old_value = heap_getattr(&old_tuple, attnum, desc, &old_null);
    Datum new_value = heap_getattr(&new_tuple, attnum, desc, &new_null);
    changed = old_null != new_null ||
              (!old_null && !datumIsEqual(old_value, new_value, attr->attbyval, attr->attlen));
  }
  bms_free(indexed);
  return changed;
}

}  // namespace

bool memopt_indexed_columns_changed(Relation rel, const memopt::Version *before,
                                    const memopt::Version *after) {
  return ColumnsChanged(rel, before, after, INDEX_ATTR_BITMAP_ALL);
}

bool memopt_key_columns_changed(Relation rel, const memopt::Version *before,
                                const memopt::Version *after) {
  return ColumnsChanged(rel, before, after, INDEX_ATTR_BITMAP_KEY);
}
