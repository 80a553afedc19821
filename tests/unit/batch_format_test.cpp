// Tests for the fragment encoding of commit batches (batch_format.h).
#include "memopt/batch_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace memopt {
namespace {

struct Written {
  EntryKind kind;
  uint64_t id;
  std::string data;
};

std::vector<Written> ReadAll(const char *data, size_t bytes, FragmentHeader *header, bool *intact) {
  std::vector<Written> out;
  *intact = ForEachFragmentEntry(data, bytes, [&](const FragmentHeader &h, const FragmentEntry &e) {
    *header = h;
    out.push_back({e.kind, e.durable_id, e.data ? std::string(e.data, e.bytes) : std::string()});
  });
  return out;
}

class BatchFormatTest : public ::testing::TestWithParam<uint16_t> {};

TEST_P(BatchFormatTest, RoundTripsEveryKindAndIdOrder) {
  char buffer[8192];
  FragmentWriter writer(buffer, sizeof buffer);
  writer.Begin(4711, (uint64_t{1} << 40) + 3, GetParam());
  std::vector<Written> entries = {
      {EntryKind::kImage, 1, "row one"},
      {EntryKind::kImage, 2, std::string(300, 'x')},
      {EntryKind::kDelete, 1000000, ""},
      {EntryKind::kImagePart, 7, "first piece"},  // ids may go down
      {EntryKind::kImage, 7, ""},                 // an empty last piece
      {EntryKind::kDelete, UINT64_C(1) << 59, ""},
      {EntryKind::kImage, 3, "after a far jump back"},
  };
  for (const Written &w : entries) {
    ASSERT_TRUE(writer.Fits(w.kind, w.id, w.data.size()));
    writer.Add(w.kind, w.id, w.data.data(), w.data.size());
  }
  size_t bytes = writer.Finish();
  EXPECT_EQ(bytes, writer.used());

  FragmentHeader header;
  bool intact = false;
  std::vector<Written> read = ReadAll(buffer, bytes, &header, &intact);
  ASSERT_TRUE(intact);
  EXPECT_EQ(header.xid, 4711u);
  EXPECT_EQ(header.batch_seq, (uint64_t{1} << 40) + 3);
  EXPECT_EQ(header.flags, GetParam());
  EXPECT_EQ(header.entries, entries.size());
  ASSERT_EQ(read.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(read[i].kind, entries[i].kind) << i;
    EXPECT_EQ(read[i].id, entries[i].id) << i;
    EXPECT_EQ(read[i].data, entries[i].data) << i;
  }
}

// Fits is exact: the writer fills a buffer to the last byte and no further.
TEST_P(BatchFormatTest, FitsMatchesWhatAddWrites) {
  std::vector<char> buffer(512);
  FragmentWriter writer(buffer.data(), buffer.size());
  writer.Begin(9, 12345, GetParam());
  std::mt19937_64 random(42);
  std::string data(64, 'd');
  uint64_t id = 100;
  while (true) {
    EntryKind kind = random() % 3 == 0 ? EntryKind::kDelete : EntryKind::kImage;
    size_t length = kind == EntryKind::kDelete ? 0 : random() % data.size();
    id += random() % 300;
    size_t expected = writer.used() + writer.EntryHeaderBytes(kind, id, length) + length;
    if (!writer.Fits(kind, id, length)) {
      EXPECT_GT(expected, buffer.size());
      break;
    }
    writer.Add(kind, id, data.data(), length);
    EXPECT_EQ(writer.used(), expected);
  }
  EXPECT_LE(writer.Finish(), buffer.size());
}

INSTANTIATE_TEST_SUITE_P(Encodings, BatchFormatTest,
                         ::testing::Values(uint16_t{0}, kFragmentCompact),
                         [](const ::testing::TestParamInfo<uint16_t> &info) {
                           return info.param ? std::string("Compact") : std::string("Legacy");
                         });

TEST(BatchFormat, CompactEntriesOfConsecutiveRowsAreSmall) {
  char buffer[1024];
  FragmentWriter writer(buffer, sizeof buffer);
  writer.Begin(1, 1, kFragmentCompact);
  size_t header = writer.used();
  EXPECT_EQ(header, kFragmentFixedBytes + 1);
  writer.Add(EntryKind::kImage, 1, "abcd", 4);
  writer.Add(EntryKind::kImage, 2, "abcd", 4);
  writer.Add(EntryKind::kDelete, 3, nullptr, 0);
  EXPECT_EQ(writer.Finish(), header + (1 + 1 + 4) * 2 + 1);
}

// The legacy encoding is what format 1 wrote: fixed 16-byte headers.
TEST(BatchFormat, ReadsTheLegacyLayout) {
  char fragment[16 + 16 + 3 + 16];
  memset(fragment, 0, sizeof fragment);
  uint32_t xid = 77;
  uint16_t entries = 2;
  uint64_t seq = 5;
  memcpy(fragment, &xid, 4);
  memcpy(fragment + 4, &entries, 2);
  memcpy(fragment + 8, &seq, 8);
  fragment[16] = 1;  // image
  uint32_t length = 3;
  uint64_t id = 42;
  memcpy(fragment + 20, &length, 4);
  memcpy(fragment + 24, &id, 8);
  memcpy(fragment + 32, "abc", 3);
  fragment[35] = 3;  // delete
  id = 43;
  memcpy(fragment + 43, &id, 8);
  FragmentHeader header;
  bool intact = false;
  std::vector<Written> read = ReadAll(fragment, sizeof fragment, &header, &intact);
  ASSERT_TRUE(intact);
  EXPECT_EQ(header.xid, 77u);
  EXPECT_EQ(header.batch_seq, 5u);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].id, 42u);
  EXPECT_EQ(read[0].data, "abc");
  EXPECT_EQ(read[1].kind, EntryKind::kDelete);
  EXPECT_EQ(read[1].id, 43u);
}

// Every truncation and every single-byte change of a fragment decodes to a
// clean "damaged" or to entries that lie inside the buffer, never past it.
TEST_P(BatchFormatTest, DamagedFragmentsStayInBounds) {
  char buffer[256];
  FragmentWriter writer(buffer, sizeof buffer);
  writer.Begin(3, 999, GetParam());
  writer.Add(EntryKind::kImage, 10, "0123456789", 10);
  writer.Add(EntryKind::kDelete, 11, nullptr, 0);
  writer.Add(EntryKind::kImagePart, 300, "abcdefghijklmnopqrstuvwxyz", 26);
  size_t bytes = writer.Finish();
  for (size_t cut = 0; cut < bytes; ++cut) {
    std::vector<char> truncated(buffer, buffer + cut);  // exact size: ASan sees overreads
    bool intact = ForEachFragmentEntry(truncated.data(), cut,
                                       [](const FragmentHeader &, const FragmentEntry &) {});
    EXPECT_FALSE(intact) << "cut at " << cut;
  }
  for (size_t at = 0; at < bytes; ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<char> changed(buffer, buffer + bytes);
      changed[at] = static_cast<char>(changed[at] ^ (1 << bit));
      const char *begin = changed.data();
      ForEachFragmentEntry(begin, bytes, [&](const FragmentHeader &, const FragmentEntry &e) {
        if (e.data != nullptr) {
          EXPECT_GE(e.data, begin);
          EXPECT_LE(e.data + e.bytes, begin + bytes);
        }
      });
    }
  }
}

// A delta entry goes through a compact fragment like an image.
TEST(BatchFormat, CompactFragmentsCarryImageDeltas) {
  char buffer[256];
  FragmentWriter writer(buffer, sizeof buffer);
  writer.Begin(9, 12, kFragmentCompact);
  writer.Add(EntryKind::kImageDelta, 5, "\x02\x01z", 3);
  writer.Add(EntryKind::kImage, 6, "whole", 5);
  FragmentHeader header;
  bool intact = false;
  std::vector<Written> read = ReadAll(buffer, writer.Finish(), &header, &intact);
  ASSERT_TRUE(intact);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].kind, EntryKind::kImageDelta);
  EXPECT_EQ(read[0].id, 5u);
  EXPECT_EQ(read[0].data, std::string("\x02\x01z", 3));
  EXPECT_EQ(read[1].kind, EntryKind::kImage);
}

// The legacy layout has no kind 0: such an entry is damage.
TEST(BatchFormat, LegacyFragmentsRejectKindZero) {
  char buffer[64] = {};
  FragmentWriter writer(buffer, sizeof buffer);
  writer.Begin(9, 12, 0);
  writer.Add(EntryKind::kImage, 5, "abc", 3);
  size_t bytes = writer.Finish();
  buffer[kLegacyFragmentHeaderBytes] = 0;  // the entry's kind byte
  FragmentHeader header;
  bool intact = true;
  EXPECT_TRUE(ReadAll(buffer, bytes, &header, &intact).empty());
  EXPECT_FALSE(intact);
}

std::string Applied(const std::string &base, const std::string &delta) {
  size_t bytes = 0;
  EXPECT_TRUE(ImageDeltaResultBytes(delta.data(), delta.size(), base.size(), &bytes));
  std::string image(bytes, '?');
  ApplyImageDelta(base.data(), base.size(), delta.data(), delta.size(), &image[0]);
  return image;
}

std::string Delta(const std::string &base, const std::string &image) {
  std::string delta(ImageDeltaMaxBytes(image.size()), '\0');
  delta.resize(EncodeImageDelta(base.data(), base.size(), image.data(), image.size(), &delta[0]));
  return delta;
}

// Changing 4 bytes in the middle of 100 costs the 4 bytes and two varints.
TEST(BatchFormat, ImageDeltaOfAnUpdatedIntIsSmall) {
  std::string base(100, 'a');
  std::string image = base;
  image.replace(40, 4, "WXYZ");
  std::string delta = Delta(base, image);
  EXPECT_EQ(delta.size(), 6u);
  EXPECT_EQ(Applied(base, delta), image);
}

// Random bases and edits (growing, shrinking, equal, empty) round-trip.
TEST(BatchFormat, ImageDeltasRoundTrip) {
  std::mt19937 random(11);
  for (int round = 0; round < 2000; ++round) {
    std::string base(random() % 300, '\0');
    for (char &c : base) c = static_cast<char>('a' + random() % 3);
    std::string image = base;
    size_t at = image.empty() ? 0 : random() % image.size();
    size_t cut = image.empty() ? 0 : random() % (image.size() - at + 1);
    std::string inserted(random() % 20, '\0');
    for (char &c : inserted) c = static_cast<char>('a' + random() % 3);
    image.replace(at, cut, inserted);
    std::string delta = Delta(base, image);
    EXPECT_LE(delta.size(), ImageDeltaMaxBytes(image.size()));
    ASSERT_EQ(Applied(base, delta), image) << round;
  }
}

// A delta that reaches beyond its base is reported, not applied.
TEST(BatchFormat, ImageDeltaLargerThanItsBaseIsDamaged) {
  std::string base(10, 'b');
  std::string delta = Delta(base, std::string(10, 'b') + "tail");  // prefix 10
  size_t bytes;
  EXPECT_TRUE(ImageDeltaResultBytes(delta.data(), delta.size(), base.size(), &bytes));
  EXPECT_FALSE(ImageDeltaResultBytes(delta.data(), delta.size(), 9, &bytes));
  EXPECT_FALSE(ImageDeltaResultBytes(delta.data(), 1, base.size(), &bytes));
  EXPECT_FALSE(ImageDeltaResultBytes("\xff", 1, base.size(), &bytes));
}

}  // namespace
}  // namespace memopt
