// A reader for the subset of Python's pickle protocol 2 that torch.save writes: it builds values,
// never runs code. Globals are checked against an allowlist when they are named, so a file naming
// anything else (os.system, builtins.eval, …) is refused before any later opcode is read.
#pragma once

#include "io/safetensors.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdrl::pickle {

enum class Kind { None, Bool, Int, Float, String, Global, List, Tuple, Dict, Storage, Tensor };

// One value. Containers, storages and tensors live in the Document; `index` points there, so
// pickle's shared references (memo) and even cycles are plain indices and freeing is flat.
struct Value {
  Kind kind = Kind::None;
  int64_t integer = 0;  // Bool (0/1), Int
  double real = 0.0;    // Float
  std::string text;     // String; Global as "module.name"
  size_t index = 0;     // List/Tuple: Document::sequences; Dict: dicts; Storage; Tensor
};

// A persistent storage: the archive record "data/<key>", `numel` elements of `dtype`.
struct StorageRef {
  std::string key;
  torch::Dtype dtype = torch::kFloat32;
  int64_t numel = 0;
  std::string location;  // as saved ("cuda:0"); readers ignore it
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …), not yet read.
struct TensorRef {
  size_t storage = 0;  // index into Document::storages
  int64_t offset = 0;  // in elements
  std::vector<int64_t> sizes, strides;
};

using Entry = std::pair<Value, Value>;

struct Document {
  Value root;
  std::vector<std::vector<Value>> sequences;  // lists and tuples
  std::vector<std::vector<Entry>> dicts;      // dicts and OrderedDicts, in insertion order
  std::vector<StorageRef> storages;
  std::vector<TensorRef> tensors;

  const std::vector<Value>& items(const Value& sequence) const;  // List or Tuple
  const std::vector<Entry>& entries(const Value& dict) const;    // Dict
  // The value under string key `key` of a Dict, or nullptr.
  const Value* find(const Value& dict, std::string_view key) const;
};

// The globals a torch.save file of tensors, dicts and optimiser state needs.
bool allowedGlobal(const std::string& module, const std::string& name);

// Parses `bytes` (the archive's data.pkl). `what` names the file in messages. Throws FormatError
// with one line naming the problem: an opcode outside the subset, a refused global, a malformed
// argument, truncation.
Document unpickle(std::string_view bytes, const std::string& what);

}  // namespace cdrl::pickle
