// batch_format.h - the bytes of one fragment of a commit batch: what a
// durable table's pages hold and what memopt's WAL records carry.
//
// A batch is everything one committing transaction changed in one table: the
// new image of each row it inserted or updated, the id of each row it
// deleted. The host cuts a batch into fragments that fit a page; this file
// only encodes and decodes one fragment. It knows nothing of pages, WAL or
// transaction status (the host's, src/pg/durable_*.cpp), and treats images as
// opaque bytes.
//
// Two encodings, told apart by the kFragmentCompact flag:
//
//   legacy (flags without kFragmentCompact; written before format 2):
//     xid u32 | entries u16 | flags u16 | batch_seq u64
//     per entry: kind u8 | 3 zero bytes | bytes u32 | durable_id u64 | data
//
//   compact (kFragmentCompact):
//     xid u32 | entries u16 | flags u16 | batch_seq varint
//     per entry: varint (zigzag(durable_id - previous id) << 2 | kind)
//                [varint bytes, all kinds but kDelete] | data
//     The previous id of the first entry is 0. A row inserted after another
//     costs one byte of header, a delete of such a row one byte in all.
//     Only this encoding has kImageDelta entries, whose data is
//       varint prefix | varint suffix | the new bytes between them:
//     the row's new image is the first `prefix` and the last `suffix` bytes
//     of its previous image (the one its batch before this made) around
//     those new bytes. An update that changes one int of a 100-byte image
//     logs about 7 bytes instead of 100.
//
// Both keep xid, entries and flags in the first kFragmentFixedBytes, so
// freezing can rewrite a fragment's xid in place whatever its encoding.
// Integers are little-endian as the host writes them (pages are not portable
// across architectures anyway). Varints are LEB128, at most 10 bytes.
//
// Thread safety: FragmentWriter and FragmentReader are values owned by one
// thread; they never allocate.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memopt {

enum class EntryKind : uint8_t {
  kImageDelta = 0,  // a row's new image as a change of its previous one
  kImage = 1,       // a row's whole new image (or the last piece of a split one)
  kImagePart = 2,   // a leading piece of an image; the rest follows in order
  kDelete = 3,      // the row is gone; no data
};

constexpr uint16_t kFragmentCompact = 0x0001;
// xid, entries and flags: the prefix both encodings share.
constexpr size_t kFragmentFixedBytes = 8;
constexpr size_t kFragmentXidOffset = 0;
constexpr size_t kLegacyFragmentHeaderBytes = 16;
constexpr size_t kLegacyEntryHeaderBytes = 16;
// The most header bytes one entry can take in either encoding.
constexpr size_t kEntryHeaderMaxBytes = 20;

struct FragmentHeader {
  uint32_t xid = 0;
  uint16_t entries = 0;
  uint16_t flags = 0;
  uint64_t batch_seq = 0;
};

struct FragmentEntry {
  EntryKind kind;
  uint64_t durable_id;
  const char *data;  // inside the fragment; nullptr for kDelete
  size_t bytes;
};

// Builds one fragment in a caller-owned buffer. Usage: Begin, then (after
// Fits) Add as often as wanted, then Finish.
class FragmentWriter {
 public:
  FragmentWriter(char *buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  // Starts a fragment; `flags` chooses the encoding.
  void Begin(uint32_t xid, uint64_t batch_seq, uint16_t flags);
  // Header bytes an entry would take (its data comes on top).
  size_t EntryHeaderBytes(EntryKind kind, uint64_t durable_id, size_t bytes) const;
  bool Fits(EntryKind kind, uint64_t durable_id, size_t bytes) const {
    return used_ + EntryHeaderBytes(kind, durable_id, bytes) + bytes <= capacity_;
  }
  // The caller checked Fits.
  void Add(EntryKind kind, uint64_t durable_id, const char *data, size_t bytes);
  // Writes the entry count; returns the fragment's size.
  size_t Finish();

  size_t used() const { return used_; }
  size_t room() const { return capacity_ - used_; }
  uint16_t entries() const { return entries_; }

 private:
  char *buffer_;
  size_t capacity_;
  size_t used_ = 0;
  uint16_t entries_ = 0;
  uint16_t flags_ = 0;
  uint64_t previous_id_ = 0;
};

// Walks one fragment. Every read is bounds-checked: damaged bytes make Open
// or Next return false with damaged() set, never a read past `bytes`.
class FragmentReader {
 public:
  // False if even the header is damaged.
  bool Open(const char *data, size_t bytes);
  const FragmentHeader &header() const { return header_; }
  // The next entry; false after the last one (damaged() tells why).
  bool Next(FragmentEntry *entry);
  bool damaged() const { return damaged_; }

 private:
  bool Fail() {
    damaged_ = true;
    return false;
  }
  const char *data_ = nullptr;
  size_t bytes_ = 0;
  size_t position_ = 0;
  uint16_t read_ = 0;
  bool damaged_ = false;
  uint64_t previous_id_ = 0;
  FragmentHeader header_;
};

// Image deltas (kImageDelta data). The most bytes EncodeImageDelta writes
// for a new image of `new_bytes`.
constexpr size_t ImageDeltaMaxBytes(size_t new_bytes) { return new_bytes + 20; }
// Writes the delta from image `base` to image `image` into `out` (room for
// ImageDeltaMaxBytes(image_bytes)); returns its size.
size_t EncodeImageDelta(const char *base, size_t base_bytes, const char *image, size_t image_bytes,
                        char *out);
// The size of the image a delta makes from a base of `base_bytes`; false if
// the delta is damaged or does not fit that base.
bool ImageDeltaResultBytes(const char *delta, size_t delta_bytes, size_t base_bytes,
                           size_t *image_bytes);
// Writes the new image (ImageDeltaResultBytes of it) to `out`, which must not
// overlap `base`. The caller checked the delta with ImageDeltaResultBytes.
void ApplyImageDelta(const char *base, size_t base_bytes, const char *delta, size_t delta_bytes,
                     char *out);

// Calls fn(header, entry) for every entry of the fragment; false if damaged.
template <typename Fn>
bool ForEachFragmentEntry(const char *data, size_t bytes, Fn &&fn) {
  FragmentReader reader;
  if (!reader.Open(data, bytes)) return false;
  FragmentEntry entry;
  while (reader.Next(&entry)) fn(reader.header(), entry);
  return !reader.damaged();
}

}  // namespace memopt
