#include "io/zip_directory.h"

#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace cdrl {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint64_t kMaxDirectoryBytes = uint64_t{1} << 28;

class File {
 public:
  explicit File(const std::string& path) : m_path(path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (m_fd < 0) fail(std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    if (::fstat(m_fd, &st) != 0) fail(std::string("cannot stat: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail("not a regular file");
    m_size = static_cast<uint64_t>(st.st_size);
  }
  ~File() {
    if (m_fd >= 0) ::close(m_fd);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  uint64_t size() const { return m_size; }
  std::vector<uint8_t> read(uint64_t offset, uint64_t n) const {
    if (offset > m_size || n > m_size - offset) fail("truncated (a record lies past its end)");
    std::vector<uint8_t> out(n);
    size_t done = 0;
    while (done < n) {
      const auto got =
          ::pread(m_fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) fail("cannot read");
      done += static_cast<size_t>(got);
    }
    return out;
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw FormatError(m_path + ": " + problem);
  }

 private:
  std::string m_path;
  int m_fd = -1;
  uint64_t m_size = 0;
};

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::map<std::string, ZipRecord> readZipDirectory(const std::string& path) {
  const File file(path);
  // The end-of-directory record is in the last 22 + 65 535 (comment) bytes.
  const uint64_t tail = std::min<uint64_t>(file.size(), 22 + 65535);
  if (tail < 22) file.fail("not a zip archive (too short)");
  const auto end = file.read(file.size() - tail, tail);
  int64_t at = static_cast<int64_t>(tail) - 22;
  while (at >= 0 && le(&end[static_cast<size_t>(at)], 4) != kEndOfDirectory) --at;
  if (at < 0) file.fail("not a zip archive (no end-of-directory record; truncated?)");
  const uint8_t* eocd = &end[static_cast<size_t>(at)];
  uint64_t entries = le(eocd + 10, 2);
  uint64_t dirSize = le(eocd + 12, 4);
  uint64_t dirOffset = le(eocd + 16, 4);
  const uint64_t eocdPos = file.size() - tail + static_cast<uint64_t>(at);
  if (entries == 0xffff || dirSize == 0xffffffff || dirOffset == 0xffffffff) {
    if (eocdPos < 20) file.fail("zip64 locator missing");
    const auto locator = file.read(eocdPos - 20, 20);
    if (le(locator.data(), 4) != kZip64Locator) file.fail("zip64 locator missing");
    const auto z = file.read(le(locator.data() + 8, 8), 56);
    if (le(z.data(), 4) != kZip64End) file.fail("zip64 end-of-directory record missing");
    entries = le(z.data() + 32, 8);
    dirSize = le(z.data() + 40, 8);
    dirOffset = le(z.data() + 48, 8);
  }
  if (dirSize > kMaxDirectoryBytes) file.fail("zip directory too large");
  const auto dir = file.read(dirOffset, dirSize);

  std::map<std::string, ZipRecord> records;
  size_t p = 0;
  for (uint64_t e = 0; e < entries; ++e) {
    if (dir.size() - p < 46 || le(&dir[p], 4) != kDirectoryEntry)
      file.fail("zip directory entry " + std::to_string(e) + " is malformed");
    ZipRecord r;
    r.method = static_cast<uint16_t>(le(&dir[p + 10], 2));
    r.compressed_size = le(&dir[p + 20], 4);
    r.size = le(&dir[p + 24], 4);
    const size_t nameLen = le(&dir[p + 28], 2), extraLen = le(&dir[p + 30], 2),
                 commentLen = le(&dir[p + 32], 2);
    r.header_offset = le(&dir[p + 42], 4);
    if (dir.size() - p - 46 < nameLen + extraLen + commentLen)
      file.fail("zip directory entry " + std::to_string(e) + " is malformed");
    std::string name(reinterpret_cast<const char*>(&dir[p + 46]), nameLen);
    // zip64 extra field: the 64-bit values of the fields saturated above, in this order.
    for (size_t x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      const uint64_t id = le(&dir[x], 2), len = le(&dir[x + 2], 2);
      if (x + 4 + len > p + 46 + nameLen + extraLen) break;
      if (id == 1) {
        size_t q = x + 4;
        auto take = [&](uint64_t& field) {
          if (field != 0xffffffff || q + 8 > x + 4 + len) return;
          field = le(&dir[q], 8);
          q += 8;
        };
        take(r.size);
        take(r.compressed_size);
        take(r.header_offset);
      }
      x += 4 + len;
    }
    if (r.header_offset > file.size() || r.compressed_size > file.size() - r.header_offset)
      file.fail("record " + name + " lies past the end of the file (truncated?)");
    if (r.method == 0 && r.size != r.compressed_size)
      file.fail("record " + name + " is stored with two different sizes");
    records[name] = r;
    p += 46 + nameLen + extraLen + commentLen;
  }
  return records;
}

}  // namespace cdrl
