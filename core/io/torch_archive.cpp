#include "io/torch_archive.h"

#include "io/zip_directory.h"

#include <caffe2/serialize/inline_container.h>

#include <filesystem>
#include <fstream>

namespace cdrl {

namespace {

constexpr uint64_t kMaxPickleBytes = uint64_t{1} << 28;

// c10 errors carry a backtrace and several lines; keep the first line of the message.
std::string firstLine(const c10::Error& e) {
  std::string text = e.what_without_backtrace();
  const auto eol = text.find('\n');
  return eol == std::string::npos ? text : text.substr(0, eol);
}

// Where the pickle's tensor ends inside its storage, in elements (0 for an empty tensor).
bool extentFits(const pickle::TensorRef& t, int64_t storageNumel) {
  int64_t last = t.offset;
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    if (t.sizes[d] == 0) return true;
    if (t.strides[d] > 0 && t.sizes[d] - 1 > (storageNumel - last) / t.strides[d]) return false;
    last += (t.sizes[d] - 1) * t.strides[d];
  }
  return last < storageNumel;
}

}  // namespace

TorchArchive::TorchArchive(const std::string& path) : m_path(path) {
  const auto records = readZipDirectory(path);
  std::string prefix;
  for (const auto& [name, record] : records) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl")
      prefix = name.substr(0, slash + 1);
  }
  if (prefix.empty()) throw FormatError(path + ": not a torch.save archive (no data.pkl record)");
  const auto& pkl = records.at(prefix + "data.pkl");
  if (pkl.size > kMaxPickleBytes)
    throw FormatError(path + ": data.pkl is " + std::to_string(pkl.size) + " bytes, over the " +
                      std::to_string(kMaxPickleBytes) + "-byte limit");
  try {
    m_reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    const auto [data, size] = m_reader->getRecord("data.pkl");
    m_doc = pickle::unpickle(std::string_view(static_cast<const char*>(data.get()), size),
                             path + ": data.pkl");
  } catch (const c10::Error& e) {
    throw FormatError(path + ": " + firstLine(e));
  }

  for (const auto& storage : m_doc.storages) {
    const auto name = prefix + "data/" + storage.key;
    const auto found = records.find(name);
    if (found == records.end())
      throw FormatError(path + ": storage " + storage.key + " has no record " + name);
    const auto elementSize = static_cast<uint64_t>(c10::elementSize(storage.dtype));
    if (found->second.size % elementSize != 0 ||
        found->second.size / elementSize != static_cast<uint64_t>(storage.numel))
      throw FormatError(path + ": storage " + storage.key + " declares " +
                        std::to_string(storage.numel) + " elements but its record holds " +
                        std::to_string(found->second.size) + " bytes");
  }
  for (const auto& tensor : m_doc.tensors)
    if (!extentFits(tensor, m_doc.storages[tensor.storage].numel))
      throw FormatError(path + ": a tensor reaches past the end of storage " +
                        m_doc.storages[tensor.storage].key);
}

TorchArchive::~TorchArchive() = default;

torch::Tensor TorchArchive::read(const pickle::Value& value) const {
  if (value.kind != pickle::Kind::Tensor) throw FormatError(m_path + ": expected a tensor");
  const auto& ref = m_doc.tensors.at(value.index);
  const auto& storage = m_doc.storages.at(ref.storage);
  try {
    auto record = m_reader->getRecord("data/" + storage.key);
    auto owner = std::make_shared<at::DataPtr>(std::move(std::get<0>(record)));
    void* data = owner->get();
    auto flat = torch::from_blob(
        data, {storage.numel}, [owner](void*) mutable { owner.reset(); },
        torch::TensorOptions().dtype(storage.dtype));
    return flat.as_strided(ref.sizes, ref.strides, ref.offset);
  } catch (const c10::Error& e) {
    throw FormatError(m_path + ": storage " + storage.key + ": " + firstLine(e));
  }
}

bool looksLikeTorchArchive(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

}  // namespace cdrl
