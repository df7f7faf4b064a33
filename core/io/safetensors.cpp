#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "runtime/limits.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

// Tensor bytes are copied verbatim between memory and file, which is only the safetensors layout
// on a little-endian host.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.cpp assumes a little-endian host"
#endif

namespace cdrl {
namespace {

using nlohmann::json;

constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kCrcKey = "cdrl.data_crc32";
constexpr uint64_t kMaxHeaderBytes = uint64_t{64} << 20;  // JSON: parsing costs ~10× its size

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  uint64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", torch::kFloat64, 8},   {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeInfo* dtypeByName(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DtypeInfo* dtypeByType(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (type == d.type) return &d;
  return nullptr;
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw FormatError(path + ": " + problem);
}

std::string errnoText() { return std::strerror(errno); }

// Names come from the file and may hold control characters; escaping keeps messages on one line.
std::string quoteName(const std::string& text) {
  std::string out = "'";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

// zlib's crc32 takes a 32-bit length, so large buffers are fed in pieces.
uLong crcUpdate(uLong crc, const uint8_t* data, uint64_t size) {
  constexpr uint64_t kChunk = 1u << 30;
  while (size > 0) {
    const uint64_t n = std::min(size, kChunk);
    crc = crc32(crc, data, static_cast<uInt>(n));
    data += n;
    size -= n;
  }
  return crc;
}

// Accepts only what the writer produces (plain decimal digits that fit in 32 bits), so a damaged
// checksum entry is reported rather than silently compared as some other number.
bool parseCrc(const std::string& text, uint32_t* out) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

// JSON integers arrive as signed or unsigned depending on their value; anything else (floats,
// negatives) is rejected with a reason for the error message.
bool toUnsigned(const json& value, uint64_t* out, const char** why) {
  if (value.is_number_unsigned()) {
    *out = value.get<uint64_t>();
    return true;
  }
  if (value.is_number_integer()) {
    *why = "negative";
    return false;
  }
  *why = "not an integer";
  return false;
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

Entry parseEntry(const std::string& path, const std::string& name, const json& spec) {
  const std::string where = "tensor " + quoteName(name);
  if (!spec.is_object()) fail(path, "invalid header: " + where + " is not an object");

  auto dtypeIt = spec.find("dtype");
  auto shapeIt = spec.find("shape");
  auto offsetsIt = spec.find("data_offsets");
  if (dtypeIt == spec.end() || !dtypeIt->is_string())
    fail(path, "invalid header: " + where + " has no string 'dtype'");
  if (shapeIt == spec.end() || !shapeIt->is_array())
    fail(path, "invalid header: " + where + " has no array 'shape'");
  if (offsetsIt == spec.end() || !offsetsIt->is_array() || offsetsIt->size() != 2)
    fail(path, "invalid header: " + where + " needs 'data_offsets' of two integers");

  Entry entry;
  entry.name = name;
  const std::string dtypeName = dtypeIt->get<std::string>();
  entry.dtype = dtypeByName(dtypeName);
  if (!entry.dtype) fail(path, "unknown dtype " + quoteName(dtypeName) + " for " + where);

  // Track the element count with overflow checks; a zero dimension makes the count zero no matter
  // how large the others are, so overflow only matters when no dimension is zero.
  uint64_t count = 1;
  bool overflow = false;
  bool hasZero = false;
  const char* why = nullptr;
  for (const auto& dim : *shapeIt) {
    uint64_t d = 0;
    if (!toUnsigned(dim, &d, &why))
      fail(path, "invalid header: " + where + " has a shape entry that is " + why);
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(path, "invalid header: " + where + " has a dimension too large: " + std::to_string(d));
    entry.shape.push_back(static_cast<int64_t>(d));
    if (d == 0) hasZero = true;
    if (__builtin_mul_overflow(count, d, &count)) overflow = true;
  }
  uint64_t expectedBytes = 0;
  if (hasZero) {
    expectedBytes = 0;
  } else if (overflow || __builtin_mul_overflow(count, entry.dtype->size, &expectedBytes)) {
    fail(path, "invalid header: " + where + " has a shape too large to store");
  }

  if (!toUnsigned((*offsetsIt)[0], &entry.begin, &why) ||
      !toUnsigned((*offsetsIt)[1], &entry.end, &why))
    fail(path, "invalid header: " + where + " has a data offset that is " + why);
  if (entry.end < entry.begin)
    fail(path, "invalid header: " + where + " has data_offsets [" + std::to_string(entry.begin) +
                   ", " + std::to_string(entry.end) + "] that end before they begin");
  if (entry.end - entry.begin != expectedBytes)
    fail(path, "invalid header: " + where + " spans " + std::to_string(entry.end - entry.begin) +
                   " bytes but its dtype " + entry.dtype->name + " and shape need " +
                   std::to_string(expectedBytes));
  return entry;
}

// The file mapped read-only: the header is checked before any data page is touched, and the
// data is copied tensor by tensor from the page cache, never slurped into one buffer first.
// Fails on anything but a readable regular file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block
    if (m_fd < 0) fail(path, "cannot open: " + errnoText());
    try {
      struct stat st;
      if (::fstat(m_fd, &st) != 0) fail(path, "cannot stat: " + errnoText());
      if (!S_ISREG(st.st_mode)) fail(path, "cannot read: not a regular file");
      m_size = static_cast<uint64_t>(st.st_size);
      if (m_size == 0) return;
      void* address = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, m_fd, 0);
      if (address == MAP_FAILED) fail(path, "cannot map: " + errnoText());
      m_data = static_cast<const uint8_t*>(address);
    } catch (...) {
      ::close(m_fd);
      throw;
    }
  }
  ~MappedFile() {
    if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
    if (m_fd >= 0) ::close(m_fd);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return m_data; }
  uint64_t size() const { return m_size; }

 private:
  int m_fd = -1;
  const uint8_t* m_data = nullptr;
  uint64_t m_size = 0;
};

void writeAll(int fd, const uint8_t* data, uint64_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, static_cast<size_t>(std::min<uint64_t>(size, 1u << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "cannot write: " + errnoText());
    data += n;
    size -= static_cast<uint64_t>(n);
  }
}

std::string directoryOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void writeTensorFile(const std::string& path, const TensorFile& file) {
  // Normalise every tensor first so nothing touches the disk when an input is unusable.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, tensor] : file.tensors) {
    if (name == kMetadataKey) fail(path, "cannot write: tensor name '__metadata__' is reserved");
    if (!tensor.defined()) fail(path, "cannot write: tensor " + quoteName(name) + " is undefined");
    if (tensor.layout() != torch::kStrided)
      fail(path, "cannot write: tensor " + quoteName(name) + " is not a dense tensor");
    if (!dtypeByType(tensor.scalar_type()))
      fail(path, "cannot write: tensor " + quoteName(name) + " has unsupported dtype " +
                     std::string(c10::toString(tensor.scalar_type())));
    torch::Tensor t = tensor.detach();
    if (!t.device().is_cpu()) t = t.to(torch::kCPU);
    if (!t.is_contiguous()) t = t.contiguous();
    tensors.emplace_back(name, std::move(t));
  }
  // Largest elements first (as Python's safetensors does) keeps every tensor naturally aligned
  // within the 8-aligned data section, so readers can map the file and view it in place.
  std::stable_sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) {
    return a.second.element_size() > b.second.element_size();
  });

  uLong crc = crc32(0L, Z_NULL, 0);
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    crc = crcUpdate(crc, static_cast<const uint8_t*>(t.data_ptr()), bytes);
    header[name] = {{"dtype", dtypeByType(t.scalar_type())->name},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  json metadata = json::object();
  for (const auto& [key, value] : file.metadata) metadata[key] = value;
  metadata[kCrcKey] = std::to_string(crc);
  header[kMetadataKey] = std::move(metadata);

  std::string headerText;
  try {
    headerText = header.dump();
  } catch (const json::exception& e) {
    // dump() rejects strings that are not valid UTF-8.
    fail(path, std::string("cannot write: invalid header text: ") + e.what());
  }
  // Padding keeps the data section 8-byte aligned for readers that map the file.
  headerText.append((8 - headerText.size() % 8) % 8, ' ');
  uint8_t lengthBytes[8];
  const uint64_t headerSize = headerText.size();
  std::memcpy(lengthBytes, &headerSize, 8);

  // Same folder as the target so rename() stays on one filesystem and is atomic.
  const std::string tmp = temporaryPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create temporary file '" + tmp + "': " + errnoText());
  try {
    writeAll(fd, lengthBytes, 8, path);
    writeAll(fd, reinterpret_cast<const uint8_t*>(headerText.data()), headerText.size(), path);
    for (const auto& entry : tensors) {
      const torch::Tensor& t = entry.second;
      writeAll(fd, static_cast<const uint8_t*>(t.data_ptr()),
               static_cast<uint64_t>(t.numel()) * t.element_size(), path);
    }
    // Without fsync the rename can reach the disk before the data, leaving an empty file after
    // a crash where the old one used to be.
    if (::fsync(fd) != 0) fail(path, "cannot sync: " + errnoText());
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail(path, "cannot close: " + errnoText());
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      fail(path, "cannot rename temporary file into place: " + errnoText());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }

  // Best effort: makes the rename itself durable; the file is already complete either way.
  int dirFd = ::open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
}

TensorFile readTensorFile(const std::string& path) {
  const MappedFile bytes(path);
  const uint64_t fileSize = bytes.size();
  if (fileSize < 8)
    fail(path, "truncated: file has " + std::to_string(fileSize) +
                   " bytes, fewer than the 8-byte header length");
  uint64_t headerSize = 0;
  std::memcpy(&headerSize, bytes.data(), 8);
  // Compared against what is left rather than 8 + headerSize, which garbage lengths overflow.
  if (headerSize > fileSize - 8)
    fail(path, "truncated: header says " + std::to_string(headerSize) + " bytes but file has " +
                   std::to_string(fileSize));
  if (headerSize > kMaxHeaderBytes)
    fail(path, "invalid header: " + std::to_string(headerSize) + " bytes, more than the " +
                   std::to_string(kMaxHeaderBytes) + " a header may have");

  const uint8_t* headerBegin = bytes.data() + 8;
  const uint8_t* dataBegin = headerBegin + headerSize;
  const uint64_t dataSize = fileSize - 8 - headerSize;

  json header;
  try {
    header = json::parse(headerBegin, dataBegin);
  } catch (const json::parse_error& e) {
    // Not e.what(): it quotes the last token read, which can be megabytes of the file.
    fail(path, "invalid header: not valid JSON (error at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {
    fail(path, "invalid header: not valid JSON (error " + std::to_string(e.id) + ")");
  }
  if (!header.is_object()) fail(path, "invalid header: not a JSON object");

  TensorFile result;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      if (!value.is_object()) fail(path, "invalid header: __metadata__ is not an object");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (!mvalue.is_string())
          fail(path, "invalid header: __metadata__ value " + quoteName(mkey) + " is not a string");
        result.metadata[mkey] = mvalue.get<std::string>();
      }
      continue;
    }
    entries.push_back(parseEntry(path, key, value));
  }

  for (const auto& e : entries) {
    if (e.end > dataSize)
      fail(path, "truncated: tensor " + quoteName(e.name) + " ends at byte " +
                     std::to_string(e.end) + " but data section has " + std::to_string(dataSize));
  }
  try {
    limits::checkMemory("loading its tensors", static_cast<double>(dataSize));
  } catch (const std::invalid_argument& e) {
    fail(path, e.what());
  }
  // Empty tensors own no bytes, so they cannot overlap anything wherever they point.
  std::vector<const Entry*> ranges;
  for (const auto& e : entries)
    if (e.end > e.begin) ranges.push_back(&e);
  std::sort(ranges.begin(), ranges.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
  });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i]->begin < ranges[i - 1]->end)
      fail(path, "invalid header: tensors " + quoteName(ranges[i - 1]->name) + " and " +
                     quoteName(ranges[i]->name) + " overlap");
  }

  auto crcIt = result.metadata.find(kCrcKey);
  if (crcIt != result.metadata.end()) {
    uint32_t stored = 0;
    if (!parseCrc(crcIt->second, &stored))
      fail(path, "corrupted: unreadable data checksum " + quoteName(crcIt->second));
    const uLong computed = crcUpdate(crc32(0L, Z_NULL, 0), dataBegin, dataSize);
    if (computed != stored)
      fail(path, "corrupted: data checksum mismatch (stored " + std::to_string(stored) +
                     ", computed " + std::to_string(computed) + ")");
  }

  for (const auto& e : entries) {
    const uint8_t* src = dataBegin + e.begin;
    const uint64_t size = e.end - e.begin;
    // Torch assumes bool bytes are 0 or 1; other values would make comparisons inconsistent.
    if (e.dtype->type == torch::kBool) {
      for (uint64_t i = 0; i < size; ++i)
        if (src[i] > 1)
          fail(path,
               "invalid data: tensor " + quoteName(e.name) + " has a BOOL byte other than 0 or 1");
    }
    torch::Tensor t;
    try {
      t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
    } catch (const c10::Error&) {
      fail(path, "cannot allocate tensor " + quoteName(e.name));
    }
    if (size > 0) std::memcpy(t.data_ptr(), src, size);
    result.tensors.emplace(e.name, std::move(t));
  }
  return result;
}

}  // namespace cdrl
