#include "io/pickle.h"

#include <array>
#include <cstring>
#include <unordered_map>

namespace cdrl::pickle {

namespace {

constexpr size_t kMaxStack = size_t{1} << 24;  // values on the stack at once
constexpr size_t kMaxDims = 64;

struct StorageType {
  const char* name;
  torch::Dtype dtype;
};
constexpr std::array<StorageType, 10> kStorageTypes{{
    {"FloatStorage", torch::kFloat32},
    {"DoubleStorage", torch::kFloat64},
    {"HalfStorage", torch::kFloat16},
    {"BFloat16Storage", torch::kBFloat16},
    {"LongStorage", torch::kInt64},
    {"IntStorage", torch::kInt32},
    {"ShortStorage", torch::kInt16},
    {"CharStorage", torch::kInt8},
    {"ByteStorage", torch::kUInt8},
    {"BoolStorage", torch::kBool},
}};

const StorageType* storageType(const std::string& global) {
  for (const auto& type : kStorageTypes)
    if (global == std::string("torch.") + type.name) return &type;
  return nullptr;
}

std::string opcodeName(unsigned char op) {
  char buffer[32];
  if (op >= 0x20 && op < 0x7f)
    std::snprintf(buffer, sizeof buffer, "0x%02x ('%c')", op, op);
  else
    std::snprintf(buffer, sizeof buffer, "0x%02x", op);
  return buffer;
}

class Unpickler {
 public:
  Unpickler(std::string_view bytes, const std::string& what) : m_bytes(bytes), m_what(what) {}

  Document run() {
    while (true) {
      const size_t at = m_pos;
      const auto op = static_cast<unsigned char>(readBytes(1)[0]);
      if (op == '.') break;
      step(op, at);
    }
    if (m_stack.size() != 1) fail("STOP with " + std::to_string(m_stack.size()) + " values left");
    m_doc.root = m_stack.back();
    return std::move(m_doc);
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw FormatError(m_what + ": " + problem + " (pickle byte " + std::to_string(m_pos) + ")");
  }

  std::string_view readBytes(size_t n) {
    if (n > m_bytes.size() - m_pos) fail("truncated");
    const auto out = m_bytes.substr(m_pos, n);
    m_pos += n;
    return out;
  }
  uint64_t readUnsigned(size_t n) {  // little-endian
    const auto b = readBytes(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(b[i])} << (8 * i);
    return v;
  }
  std::string readLine() {
    const auto end = m_bytes.find('\n', m_pos);
    if (end == std::string_view::npos) fail("truncated");
    if (end - m_pos > 256) fail("malformed GLOBAL");
    std::string line(m_bytes.substr(m_pos, end - m_pos));
    m_pos = end + 1;
    return line;
  }

  void push(Value v) {
    if (m_stack.size() >= kMaxStack) fail("stack exceeds " + std::to_string(kMaxStack));
    m_stack.push_back(std::move(v));
  }
  Value pop() {
    if (m_stack.size() <= floor()) fail("pop from an empty stack");
    Value v = std::move(m_stack.back());
    m_stack.pop_back();
    return v;
  }
  size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
  std::vector<Value> popToMark() {
    if (m_marks.empty()) fail("no MARK");
    const size_t mark = m_marks.back();
    m_marks.pop_back();
    std::vector<Value> out(std::make_move_iterator(m_stack.begin() + static_cast<long>(mark)),
                           std::make_move_iterator(m_stack.end()));
    m_stack.resize(mark);
    return out;
  }
  Value& top() {
    if (m_stack.size() <= floor()) fail("empty stack");
    return m_stack.back();
  }

  Value newSequence(Kind kind, std::vector<Value> items = {}) {
    Value v;
    v.kind = kind;
    v.index = m_doc.sequences.size();
    m_doc.sequences.push_back(std::move(items));
    return v;
  }
  Value newDict() {
    Value v;
    v.kind = Kind::Dict;
    v.index = m_doc.dicts.size();
    m_doc.dicts.emplace_back();
    return v;
  }
  static bool sameKey(const Value& a, const Value& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == Kind::String) return a.text == b.text;
    if (a.kind == Kind::Int) return a.integer == b.integer;
    return false;
  }
  void setItem(const Value& dict, Value key, Value value) {
    if (dict.kind != Kind::Dict) fail("SETITEM on a value that is not a dict");
    auto& entries = m_doc.dicts[dict.index];
    for (auto& entry : entries)
      if (sameKey(entry.first, key)) {
        entry.second = std::move(value);
        return;
      }
    entries.emplace_back(std::move(key), std::move(value));
  }
  void append(const Value& list, Value value) {
    if (list.kind != Kind::List) fail("APPEND on a value that is not a list");
    m_doc.sequences[list.index].push_back(std::move(value));
  }

  int64_t intArg(const Value& v, const char* name) {
    if (v.kind != Kind::Int) fail(std::string("tensor ") + name + " is not an integer");
    return v.integer;
  }
  std::vector<int64_t> intTuple(const Value& v, const char* name) {
    if (v.kind != Kind::Tuple) fail(std::string("tensor ") + name + " is not a tuple");
    const auto& items = m_doc.sequences[v.index];
    if (items.size() > kMaxDims) fail(std::string("tensor ") + name + " has too many dimensions");
    std::vector<int64_t> out;
    for (const auto& item : items) {
      const auto n = intArg(item, name);
      if (n < 0) fail(std::string("negative tensor ") + name);
      out.push_back(n);
    }
    return out;
  }

  // storage = ('storage', torch.<Type>Storage, key, location, numel)
  Value persistentLoad(const Value& pid) {
    if (pid.kind != Kind::Tuple) fail("persistent id is not a tuple");
    const auto& t = m_doc.sequences[pid.index];
    if (t.size() != 5 || t[0].kind != Kind::String || t[0].text != "storage")
      fail("persistent id is not ('storage', type, key, location, numel)");
    const auto* type = t[1].kind == Kind::Global ? storageType(t[1].text) : nullptr;
    if (!type) fail("persistent id names no storage type");
    if (t[2].kind != Kind::String || t[3].kind != Kind::String || t[4].kind != Kind::Int ||
        t[4].integer < 0)
      fail("malformed storage key, location or size");
    StorageRef ref{t[2].text, type->dtype, t[4].integer, t[3].text};
    Value v;
    v.kind = Kind::Storage;
    const auto found = m_storageByKey.find(ref.key);
    if (found != m_storageByKey.end()) {
      const auto& seen = m_doc.storages[found->second];
      if (seen.dtype != ref.dtype || seen.numel != ref.numel)
        fail("storage " + ref.key + " declared twice with different types or sizes");
      v.index = found->second;
    } else {
      v.index = m_doc.storages.size();
      m_storageByKey.emplace(ref.key, v.index);
      m_doc.storages.push_back(std::move(ref));
    }
    return v;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, …)
  Value rebuildTensor(const std::vector<Value>& args) {
    if (args.size() < 6 || args[0].kind != Kind::Storage) fail("malformed _rebuild_tensor_v2");
    TensorRef ref;
    ref.storage = args[0].index;
    ref.offset = intArg(args[1], "offset");
    ref.sizes = intTuple(args[2], "size");
    ref.strides = intTuple(args[3], "stride");
    if (ref.offset < 0) fail("negative tensor offset");
    if (ref.sizes.size() != ref.strides.size()) fail("tensor size and stride differ in length");
    Value v;
    v.kind = Kind::Tensor;
    v.index = m_doc.tensors.size();
    m_doc.tensors.push_back(std::move(ref));
    return v;
  }

  void reduce() {
    const Value args = pop();
    const Value callable = pop();
    if (args.kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
    if (callable.kind != Kind::Global) fail("REDUCE of a value that is not a global");
    const auto& items = m_doc.sequences[args.index];
    if (callable.text == "collections.OrderedDict") {
      Value dict = newDict();
      if (!items.empty()) {  // OrderedDict([(k, v), …])
        if (items.size() != 1 || items[0].kind != Kind::List) fail("malformed OrderedDict");
        const auto pairs = m_doc.sequences[items[0].index];
        for (const auto& pair : pairs) {
          if (pair.kind != Kind::Tuple && pair.kind != Kind::List) fail("malformed OrderedDict");
          const auto& kv = m_doc.sequences[pair.index];
          if (kv.size() != 2) fail("malformed OrderedDict");
          setItem(dict, kv[0], kv[1]);
        }
      }
      push(dict);
    } else if (callable.text == "torch._utils._rebuild_tensor_v2") {
      push(rebuildTensor(items));
    } else {
      fail("refuses to call the global " + callable.text);
    }
  }

  void step(unsigned char op, size_t at) {
    switch (op) {
      case 0x80:
        readBytes(1);
        break;  // PROTO
      case '}':
        push(newDict());
        break;
      case ']':
        push(newSequence(Kind::List));
        break;
      case ')':
        push(newSequence(Kind::Tuple));
        break;
      case '(':
        m_marks.push_back(m_stack.size());
        break;
      case 'X':
      case 0x8c: {  // BINUNICODE, SHORT_BINUNICODE
        const auto n = readUnsigned(op == 'X' ? 4 : 1);
        Value v;
        v.kind = Kind::String;
        v.text = std::string(readBytes(n));
        push(std::move(v));
        break;
      }
      case 'q':
      case 'r':  // BINPUT, LONG_BINPUT
        m_memo[readUnsigned(op == 'q' ? 1 : 4)] = top();
        break;
      case 'h':
      case 'j': {  // BINGET, LONG_BINGET
        const auto found = m_memo.find(readUnsigned(op == 'h' ? 1 : 4));
        if (found == m_memo.end()) fail("memo entry read before it was written");
        push(found->second);
        break;
      }
      case 'c': {  // GLOBAL: checked here, before anything can use it
        const auto module = readLine();
        const auto name = readLine();
        if (!allowedGlobal(module, name))
          fail("refuses the global " + module + "." + name +
               " (allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch "
               "storage types)");
        Value v;
        v.kind = Kind::Global;
        v.text = module + "." + name;
        push(std::move(v));
        break;
      }
      case 'R':
        reduce();
        break;
      case 'b': {  // BUILD: state on OrderedDicts (state_dict's _metadata) carries no weights
        const Value state = pop();
        const Value& target = top();
        if (target.kind != Kind::Dict) fail("BUILD on a value that is not a dict");
        if (state.kind != Kind::Dict && state.kind != Kind::None && state.kind != Kind::Tuple)
          fail("malformed BUILD state");
        break;
      }
      case 'Q':
        push(persistentLoad(pop()));
        break;  // BINPERSID
      case 't':
        push(newSequence(Kind::Tuple, popToMark()));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        std::vector<Value> items(op - 0x84);
        for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
        push(newSequence(Kind::Tuple, std::move(items)));
        break;
      }
      case 'K':
      case 'M':
      case 'J': {  // BININT1, BININT2, BININT
        Value v;
        v.kind = Kind::Int;
        const auto raw = readUnsigned(op == 'K' ? 1 : op == 'M' ? 2 : 4);
        v.integer = op == 'J' ? static_cast<int32_t>(static_cast<uint32_t>(raw))
                              : static_cast<int64_t>(raw);
        push(std::move(v));
        break;
      }
      case 0x8a: {  // LONG1: little-endian two's complement of n ≤ 8 bytes
        const auto n = readUnsigned(1);
        if (n > 8) fail("integer wider than 64 bits");
        uint64_t raw = n ? readUnsigned(n) : 0;
        if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);
        Value v;
        v.kind = Kind::Int;
        v.integer = static_cast<int64_t>(raw);
        push(std::move(v));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        const auto b = readBytes(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(b[i]);
        Value v;
        v.kind = Kind::Float;
        std::memcpy(&v.real, &bits, sizeof bits);
        push(std::move(v));
        break;
      }
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        Value v;
        v.kind = Kind::Bool;
        v.integer = op == 0x88;
        push(std::move(v));
        break;
      }
      case 'N':
        push(Value{});
        break;
      case 's': {
        Value value = pop();
        Value key = pop();
        setItem(top(), std::move(key), std::move(value));
        break;
      }
      case 'u': {
        auto items = popToMark();
        if (items.size() % 2) fail("SETITEMS with an odd number of values");
        const Value dict = top();
        for (size_t i = 0; i < items.size(); i += 2)
          setItem(dict, std::move(items[i]), std::move(items[i + 1]));
        break;
      }
      case 'a': {
        Value value = pop();
        append(top(), std::move(value));
        break;
      }
      case 'e': {
        auto items = popToMark();
        const Value list = top();
        for (auto& item : items) append(list, std::move(item));
        break;
      }
      default:
        m_pos = at;
        fail("opcode " + opcodeName(op) + " is outside the subset torch.save writes");
    }
  }

  std::string_view m_bytes;
  std::string m_what;
  size_t m_pos = 0;
  std::vector<Value> m_stack;
  std::vector<size_t> m_marks;
  std::unordered_map<uint64_t, Value> m_memo;
  std::unordered_map<std::string, size_t> m_storageByKey;
  Document m_doc;
};

}  // namespace

bool allowedGlobal(const std::string& module, const std::string& name) {
  if (module == "collections" && name == "OrderedDict") return true;
  if (module == "torch._utils" && name == "_rebuild_tensor_v2") return true;
  return module == "torch" && storageType("torch." + name) != nullptr;
}

const std::vector<Value>& Document::items(const Value& sequence) const {
  if (sequence.kind != Kind::List && sequence.kind != Kind::Tuple)
    throw FormatError("expected a list or tuple");
  return sequences.at(sequence.index);
}

const std::vector<Entry>& Document::entries(const Value& dict) const {
  if (dict.kind != Kind::Dict) throw FormatError("expected a dict");
  return dicts.at(dict.index);
}

const Value* Document::find(const Value& dict, std::string_view key) const {
  if (dict.kind != Kind::Dict) return nullptr;
  for (const auto& [k, v] : dicts.at(dict.index))
    if (k.kind == Kind::String && k.text == key) return &v;
  return nullptr;
}

Document unpickle(std::string_view bytes, const std::string& what) {
  return Unpickler(bytes, what).run();
}

}  // namespace cdrl::pickle
