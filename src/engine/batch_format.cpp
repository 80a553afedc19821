// batch_format.cpp - encoding and decoding one fragment of a commit batch
// (include/memopt/batch_format.h has the layout).
#include "memopt/batch_format.h"

#include <cassert>
#include <cstring>

namespace memopt {

namespace {

constexpr size_t kMaxVarintBytes = 10;

size_t VarintBytes(uint64_t value) {
  size_t bytes = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++bytes;
  }
  return bytes;
}

size_t PutVarint(char *out, uint64_t value) {
  size_t bytes = 0;
  while (value >= 0x80) {
    out[bytes++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out[bytes++] = static_cast<char>(value);
  return bytes;
}

// False if the varint runs past `end` or beyond 64 bits.
bool GetVarint(const char *data, size_t end, size_t *position, uint64_t *value) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (*position >= end) return false;
    uint8_t byte = static_cast<uint8_t>(data[(*position)++]);
    if (i == kMaxVarintBytes - 1 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

uint64_t ZigZag(uint64_t delta) {
  return (delta << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(delta) >> 63);
}
uint64_t UnZigZag(uint64_t value) { return (value >> 1) ^ (~(value & 1) + 1); }

// The compact entry's first varint: the id delta and the kind in its low bits.
uint64_t CompactHead(EntryKind kind, uint64_t durable_id, uint64_t previous_id) {
  uint64_t zigzag = ZigZag(durable_id - previous_id);
  // Durable ids count up from 1: a delta near 2^61 cannot occur.
  assert(zigzag < (uint64_t{1} << 62));
  return zigzag << 2 | static_cast<uint64_t>(kind);
}

bool ValidKind(uint64_t kind, bool compact) {
  uint64_t lowest = static_cast<uint64_t>(compact ? EntryKind::kImageDelta : EntryKind::kImage);
  return kind >= lowest && kind <= static_cast<uint64_t>(EntryKind::kDelete);
}

}  // namespace

void FragmentWriter::Begin(uint32_t xid, uint64_t batch_seq, uint16_t flags) {
  flags_ = flags;
  entries_ = 0;
  previous_id_ = 0;
  memcpy(buffer_, &xid, sizeof xid);
  memset(buffer_ + 4, 0, 2);  // entries, written by Finish
  memcpy(buffer_ + 6, &flags, sizeof flags);
  if (flags & kFragmentCompact) {
    used_ = kFragmentFixedBytes + PutVarint(buffer_ + kFragmentFixedBytes, batch_seq);
  } else {
    memcpy(buffer_ + kFragmentFixedBytes, &batch_seq, sizeof batch_seq);
    used_ = kLegacyFragmentHeaderBytes;
  }
}

size_t FragmentWriter::EntryHeaderBytes(EntryKind kind, uint64_t durable_id, size_t bytes) const {
  if (!(flags_ & kFragmentCompact)) return kLegacyEntryHeaderBytes;
  size_t head = VarintBytes(CompactHead(kind, durable_id, previous_id_));
  return kind == EntryKind::kDelete ? head : head + VarintBytes(bytes);
}

void FragmentWriter::Add(EntryKind kind, uint64_t durable_id, const char *data, size_t bytes) {
  assert(Fits(kind, durable_id, bytes));
  assert(kind != EntryKind::kImageDelta || (flags_ & kFragmentCompact));
  char *out = buffer_ + used_;
  if (flags_ & kFragmentCompact) {
    out += PutVarint(out, CompactHead(kind, durable_id, previous_id_));
    if (kind != EntryKind::kDelete) out += PutVarint(out, bytes);
  } else {
    memset(out, 0, kLegacyEntryHeaderBytes);
    out[0] = static_cast<char>(kind);
    uint32_t length = static_cast<uint32_t>(bytes);
    memcpy(out + 4, &length, sizeof length);
    memcpy(out + 8, &durable_id, sizeof durable_id);
    out += kLegacyEntryHeaderBytes;
  }
  if (bytes > 0) memcpy(out, data, bytes);
  used_ = static_cast<size_t>(out - buffer_) + bytes;
  previous_id_ = durable_id;
  entries_ += 1;
}

size_t FragmentWriter::Finish() {
  memcpy(buffer_ + 4, &entries_, sizeof entries_);
  return used_;
}

bool FragmentReader::Open(const char *data, size_t bytes) {
  data_ = data;
  bytes_ = bytes;
  read_ = 0;
  damaged_ = false;
  previous_id_ = 0;
  if (bytes < kFragmentFixedBytes) return Fail();
  memcpy(&header_.xid, data, sizeof header_.xid);
  memcpy(&header_.entries, data + 4, sizeof header_.entries);
  memcpy(&header_.flags, data + 6, sizeof header_.flags);
  position_ = kFragmentFixedBytes;
  if (header_.flags & kFragmentCompact) {
    if (!GetVarint(data, bytes, &position_, &header_.batch_seq)) return Fail();
    return true;
  }
  if (bytes < kLegacyFragmentHeaderBytes) return Fail();
  memcpy(&header_.batch_seq, data + kFragmentFixedBytes, sizeof header_.batch_seq);
  position_ = kLegacyFragmentHeaderBytes;
  return true;
}

bool FragmentReader::Next(FragmentEntry *entry) {
  if (damaged_ || read_ >= header_.entries) return false;
  uint64_t kind;
  uint64_t bytes = 0;
  if (header_.flags & kFragmentCompact) {
    uint64_t head;
    if (!GetVarint(data_, bytes_, &position_, &head)) return Fail();
    kind = head & 3;
    entry->durable_id = previous_id_ + UnZigZag(head >> 2);
    if (kind != static_cast<uint64_t>(EntryKind::kDelete) &&
        !GetVarint(data_, bytes_, &position_, &bytes))
      return Fail();
  } else {
    if (bytes_ - position_ < kLegacyEntryHeaderBytes) return Fail();
    const char *header = data_ + position_;
    kind = static_cast<uint8_t>(header[0]);
    uint32_t length;
    memcpy(&length, header + 4, sizeof length);
    memcpy(&entry->durable_id, header + 8, sizeof entry->durable_id);
    bytes = length;
    position_ += kLegacyEntryHeaderBytes;
  }
  if (!ValidKind(kind, header_.flags & kFragmentCompact) || bytes > bytes_ - position_)
    return Fail();
  entry->kind = static_cast<EntryKind>(kind);
  entry->data = entry->kind == EntryKind::kDelete ? nullptr : data_ + position_;
  entry->bytes = static_cast<size_t>(bytes);
  position_ += static_cast<size_t>(bytes);
  previous_id_ = entry->durable_id;
  read_ += 1;
  return true;
}

size_t EncodeImageDelta(const char *base, size_t base_bytes, const char *image, size_t image_bytes,
                        char *out) {
  size_t shorter = base_bytes < image_bytes ? base_bytes : image_bytes;
  size_t prefix = 0;
  while (prefix < shorter && base[prefix] == image[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < shorter - prefix &&
         base[base_bytes - 1 - suffix] == image[image_bytes - 1 - suffix])
    ++suffix;
  size_t middle = image_bytes - prefix - suffix;
  size_t used = PutVarint(out, prefix);
  used += PutVarint(out + used, suffix);
  memcpy(out + used, image + prefix, middle);
  return used + middle;
}

namespace {

// Reads a delta's prefix and suffix; false if damaged or larger than the base.
bool ReadDeltaHead(const char *delta, size_t delta_bytes, size_t base_bytes, uint64_t *prefix,
                   uint64_t *suffix, size_t *position) {
  *position = 0;
  if (!GetVarint(delta, delta_bytes, position, prefix) ||
      !GetVarint(delta, delta_bytes, position, suffix))
    return false;
  return *prefix <= base_bytes && *suffix <= base_bytes - *prefix;
}

}  // namespace

bool ImageDeltaResultBytes(const char *delta, size_t delta_bytes, size_t base_bytes,
                           size_t *image_bytes) {
  uint64_t prefix, suffix;
  size_t position;
  if (!ReadDeltaHead(delta, delta_bytes, base_bytes, &prefix, &suffix, &position)) return false;
  *image_bytes = static_cast<size_t>(prefix + suffix) + (delta_bytes - position);
  return true;
}

void ApplyImageDelta(const char *base, size_t base_bytes, const char *delta, size_t delta_bytes,
                     char *out) {
  uint64_t prefix, suffix;
  size_t position;
  bool intact = ReadDeltaHead(delta, delta_bytes, base_bytes, &prefix, &suffix, &position);
  assert(intact);
  (void)intact;
  size_t middle = delta_bytes - position;
  memcpy(out, base, prefix);
  memcpy(out + prefix, delta + position, middle);
  memcpy(out + prefix + middle, base + base_bytes - suffix, suffix);
}

}  // namespace memopt
