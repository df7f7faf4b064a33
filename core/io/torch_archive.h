// A torch.save file (PyTorch ≥ 1.6 zip: <dir>/data.pkl, <dir>/data/<key> raw storages) opened
// without Python: LibTorch's zip reader for the records, io/pickle for data.pkl. Every storage
// and tensor the pickle declares is checked against the archive's records when the file is
// opened, before any storage is read; saved devices ("cuda:0") are ignored.
#pragma once

#include "io/pickle.h"

#include <memory>
#include <string>

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace cdrl {

class TorchArchive {
 public:
  // Throws FormatError with one line naming `path` and the problem.
  explicit TorchArchive(const std::string& path);
  ~TorchArchive();
  TorchArchive(const TorchArchive&) = delete;
  TorchArchive& operator=(const TorchArchive&) = delete;

  const std::string& path() const { return m_path; }
  const pickle::Document& document() const { return m_doc; }
  // Reads one tensor's storage record into a CPU tensor that owns it (nothing is cached, so
  // a caller that copies each tensor away keeps only one storage at a time).
  torch::Tensor read(const pickle::Value& tensor) const;

 private:
  std::string m_path;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> m_reader;
  pickle::Document m_doc;
};

// True when `path` starts like a zip archive (torch.save's format), not a safetensors file.
bool looksLikeTorchArchive(const std::string& path);

}  // namespace cdrl
