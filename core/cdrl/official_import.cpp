#include "cdrl/official_import.h"

#include "io/sha256.h"
#include "io/torch_archive.h"
#include "nn/networks.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

namespace cdrl {

namespace {

namespace fs = std::filesystem;
using pickle::Kind;
using pickle::Value;

constexpr int64_t kImageSide = 32;  // both published models are 32×32; convs cannot tell

// One network's state dict: keys without "module.", in file order, and their tensors.
struct StateDict {
  std::vector<std::string> keys;
  std::map<std::string, const Value*> tensors;
};

class Importer {
 public:
  Importer(const std::string& path, const ImportOptions& options)
      : m_path(path), m_options(options), m_archive(path) {}

  Checkpoint run() {
    const auto& doc = m_archive.document();
    if (!doc.find(doc.root, "pi_state_dict") || !doc.find(doc.root, "p_state_dict"))
      fail("not a CDRL checkpoint of the authors' scripts (no pi_state_dict and p_state_dict)");
    m_pi = stateDict("pi_state_dict");
    m_p = stateDict("p_state_dict");

    // The toy script's EBM ends in a linear readout, the image scripts' in temb_final.
    m_toy = has(m_pi, "final_dense.weight");
    Checkpoint checkpoint;
    checkpoint.path = m_path;
    checkpoint.config = m_toy ? inferToyConfig() : inferConfig();
    const auto ebmNames = m_toy ? mapToyEbm() : mapEbm();
    const auto initNames = m_toy ? mapToyInitializer() : mapInitializer();
    checkNames(ebmNames, expectedShapes(checkpoint.config, true), m_pi, "pi_state_dict");
    checkNames(initNames, expectedShapes(checkpoint.config, false), m_p, "p_state_dict");

    const auto piShadows = shadows("pi_ema_state_dict", m_pi);
    const auto pShadows = shadows("p_ema_state_dict", m_p);
    m_total = 2 * (ebmNames.size() + initNames.size());
    auto& tensors = checkpoint.file.tensors;
    copyWeights(tensors, "ebm/", "ebm_ema/", ebmNames, m_pi, piShadows);
    copyWeights(tensors, "initializer/", "initializer_ema/", initNames, m_p, pShadows);

    auto& meta = checkpoint.file.metadata;
    meta["cdrl.source"] = fs::path(m_path).filename().string();
    meta["cdrl.source_sha256"] = sha256OfFile(m_path);
    meta["cdrl.import_weights"] =
        m_options.raw ? "raw" : (piShadows.empty() ? "raw (the file has no EMA)" : "ema");
    return checkpoint;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw FormatError(m_path + ": " + problem);
  }

  StateDict stateDict(const char* name) const {
    const auto& doc = m_archive.document();
    const Value* dict = doc.find(doc.root, name);
    if (!dict || dict->kind != Kind::Dict) fail(std::string(name) + " is not a dict");
    StateDict out;
    for (const auto& [key, value] : doc.entries(*dict)) {
      if (key.kind != Kind::String || value.kind != Kind::Tensor)
        fail(std::string(name) + " holds an entry that is not a named tensor");
      std::string k = key.text;
      if (k.rfind("module.", 0) == 0) k = k.substr(7);  // saved under DistributedDataParallel
      out.keys.push_back(k);
      out.tensors[k] = &value;
    }
    return out;
  }

  const std::vector<int64_t>& shapeOf(const StateDict& sd, const std::string& key) const {
    const auto found = sd.tensors.find(key);
    if (found == sd.tensors.end()) fail("missing key " + key);
    return m_archive.document().tensors.at(found->second->index).sizes;
  }
  bool has(const StateDict& sd, const std::string& key) const { return sd.tensors.count(key); }
  // A spectrally normalised layer keeps its weight as weight_orig.
  std::string weightKey(const StateDict& sd, const std::string& layer) const {
    return has(sd, layer + ".weight_orig") ? layer + ".weight_orig" : layer + ".weight";
  }
  bool hasPrefix(const StateDict& sd, const std::string& prefix) const {
    const auto it = sd.tensors.lower_bound(prefix);
    return it != sd.tensors.end() && it->first.rfind(prefix, 0) == 0;
  }

  // OFFICIAL.md §4: module_list.0 is the input conv, then per resolution `blocks` residual blocks
  // and one pool index without keys (none after the last resolution).
  NetworkConfig inferEbm() {
    NetworkConfig c;
    c.architecture = Architecture::ConvEbm;
    const auto& in = shapeOf(m_pi, weightKey(m_pi, "module_list.0"));
    if (in.size() != 4) fail("module_list.0 is not a convolution");
    c.width = in[0];
    m_channels = in[1];
    c.spectral_norm = has(m_pi, "module_list.0.weight_orig");
    c.embed_dim = shapeOf(m_pi, weightKey(m_pi, "temb_map1")).at(1);
    c.multipliers.clear();
    int64_t index = 1;
    c.blocks = 0;
    while (hasPrefix(m_pi, "module_list." + std::to_string(index) + ".")) {
      int64_t run = 0;
      const int64_t first = index;
      while (hasPrefix(m_pi, "module_list." + std::to_string(index) + ".")) ++run, ++index;
      if (c.blocks != 0 && run != c.blocks)
        fail("residual blocks per resolution differ (" + std::to_string(c.blocks) + " and " +
             std::to_string(run) + ")");
      c.blocks = run;
      const auto out =
          shapeOf(m_pi, weightKey(m_pi, "module_list." + std::to_string(first) + ".conv1")).at(0);
      if (out % c.width)
        fail("EBM channel count " + std::to_string(out) + " is not a multiple of its width");
      c.multipliers.push_back(out / c.width);
      m_ebmLevelStart.push_back(first);
      ++index;  // the pool
    }
    if (c.multipliers.empty()) fail("the EBM has no residual blocks");
    m_blocks = c.blocks;
    return c;
  }

  // OFFICIAL.md §5. downs.{l}: per block a residual block and, at attention resolutions, an
  // attention block; then a down-sampling residual block except at the last resolution.
  NetworkConfig inferInitializer() {
    NetworkConfig c;
    c.architecture = Architecture::UNet;
    c.width = shapeOf(m_p, "init_conv.weight").at(0);
    c.embed_dim = shapeOf(m_p, "time_mlp.1.weight").at(1);
    c.groups = 32;
    c.norm_eps = 1e-6;
    c.dropout = 0.1;  // the authors' default; off when sampling
    c.multipliers.clear();
    int64_t levels = 0;
    while (hasPrefix(m_p, "downs." + std::to_string(levels) + ".")) ++levels;
    if (levels == 0) fail("the initializer has no downs.0");
    m_levels = static_cast<size_t>(levels);
    for (int64_t l = 0; l < levels; ++l) {
      const auto out = shapeOf(m_p, "downs." + std::to_string(l) + ".0.conv1.weight").at(0);
      if (out % c.width) fail("U-Net channel count is not a multiple of its width");
      c.multipliers.push_back(out / c.width);
      const auto entries = entryKinds("downs." + std::to_string(l));
      if (std::count(entries.begin(), entries.end(), 'a') > 0)
        c.attention_resolutions.push_back(kImageSide >> l);
      if (l + 1 == levels) c.blocks = std::count(entries.begin(), entries.end(), 'r');
    }
    for (auto m : c.multipliers)
      if (m != c.multipliers.front())
        fail("U-Net multipliers differ between resolutions, which the authors' U-Net cannot run");
    return c;
  }

  // 'r' residual block, 'a' attention, for prefix.0, prefix.1, … while present.
  std::string entryKinds(const std::string& prefix) const {
    std::string kinds;
    for (int64_t j = 0;; ++j) {
      const auto p = prefix + "." + std::to_string(j) + ".";
      if (has(m_p, p + "conv1.weight"))
        kinds += 'r';
      else if (has(m_p, p + "to_qkv.weight"))
        kinds += 'a';
      else if (hasPrefix(m_p, p))
        fail("unrecognised block " + prefix + "." + std::to_string(j));
      else
        return kinds;
    }
  }

  ModelConfig inferConfig() {
    ModelConfig config;
    config.preset = "imported";
    config.dataset = "import:" + fs::path(m_path).filename().string();
    config.ebm = inferEbm();
    config.initializer = inferInitializer();
    config.data_shape = {m_channels, kImageSide, kImageSide};
    config.data_shift = {0};
    config.data_scale = {1};
    const int64_t ebmClasses =
        has(m_pi, weightKey(m_pi, "y_map")) ? shapeOf(m_pi, weightKey(m_pi, "y_map")).at(1) - 1 : 0;
    const int64_t initClasses =
        has(m_p, "y_mlp.0.weight") ? shapeOf(m_p, "y_mlp.0.weight").at(1) - 1 : 0;
    if (ebmClasses != initClasses)
      fail("the EBM has " + std::to_string(ebmClasses) + " classes but the initializer " +
           std::to_string(initClasses));
    config.num_classes = ebmClasses;
    if (config.num_classes > 0) config.class_names = classNames(config.num_classes);
    try {
      config.validate();
    } catch (const std::exception& e) {
      fail(std::string("inferred configuration is invalid: ") + e.what());
    }
    return config;
  }

  // The authors' toy_example.py: 2-D points, unscaled; its step size constants (ALGORITHM.md §8:
  // base 1e-3, c_i = 1/sqrt(1 − ā_0) at every level).
  ModelConfig inferToyConfig() {
    ModelConfig config;
    config.preset = "imported";
    config.dataset = "import:" + fs::path(m_path).filename().string();
    NetworkConfig& e = config.ebm;
    e.architecture = Architecture::ReferenceMlp;
    const auto& in = shapeOf(m_pi, weightKey(m_pi, "module_list.0"));
    if (in.size() != 2) fail("module_list.0 is not a linear layer");
    e.width = in[0];
    e.embed_dim = shapeOf(m_pi, weightKey(m_pi, "temb_map1")).at(1);
    e.spectral_norm = has(m_pi, "module_list.0.weight_orig");
    e.multipliers.clear();
    for (int64_t i = 1; hasPrefix(m_pi, "module_list." + std::to_string(i) + "."); ++i) {
      const auto out =
          shapeOf(m_pi, weightKey(m_pi, "module_list." + std::to_string(i) + ".conv1")).at(0);
      if (out % e.width)
        fail("EBM width " + std::to_string(out) + " is not a multiple of its first");
      e.multipliers.push_back(out / e.width);
    }
    if (e.multipliers.empty()) fail("the EBM has no residual blocks");
    e.groups = 1;
    NetworkConfig& g = config.initializer;
    g.architecture = Architecture::ReferenceMlp;
    g.width = shapeOf(m_p, "h1.weight").at(0);
    g.embed_dim = shapeOf(m_p, "temb_map.0.weight").at(1);
    g.blocks = 0;
    while (hasPrefix(m_p, "module_list." + std::to_string(g.blocks) + ".")) ++g.blocks;
    g.groups = 32;
    g.norm_eps = 1e-6;
    const int64_t dim = in[1];
    config.data_shape = {dim};
    config.data_shift.assign(static_cast<size_t>(dim), 0.0);
    config.data_scale.assign(static_cast<size_t>(dim), 1.0);
    config.schedule.step_base = 1e-3;
    config.schedule.step_scaling = StepScaling::Constant;
    try {
      config.validate();
    } catch (const std::exception& ex) {
      fail(std::string("inferred configuration is invalid: ") + ex.what());
    }
    return config;
  }

  // Our name → authors' key; `top` maps whole layers, `inner` the layers of module_list.{i}
  // (block `block(i)`), `leaf` renames parameters.
  std::map<std::string, std::string> mapByRules(
      const StateDict& sd, const char* what, const std::map<std::string, std::string>& top,
      const std::map<std::string, std::string>& inner,
      const std::function<std::string(int64_t)>& block) const {
    std::map<std::string, std::string> out;
    for (const auto& key : sd.keys) {
      const auto [layer, leaf] = splitLeaf(key);
      std::string ours;
      if (top.count(layer)) {
        ours = top.at(layer) + "." + param(leaf);
      } else if (layer.rfind("module_list.", 0) == 0) {
        const auto rest = layer.substr(12);
        const auto dot = rest.find('.');
        const auto index = rest.substr(0, dot);
        if (index.empty() || index.size() > 6 ||
            index.find_first_not_of("0123456789") != std::string::npos)
          fail("unexpected key " + key + " in " + what);
        const auto name = block(std::stoll(index));
        if (dot == std::string::npos && leaf == "g")
          ours = name + ".gain";
        else if (dot != std::string::npos && inner.count(rest.substr(dot + 1)))
          ours = name + "." + inner.at(rest.substr(dot + 1)) + "." + param(leaf);
      }
      if (ours.empty()) fail("unexpected key " + key + " in " + what);
      out[ours] = key;
    }
    return out;
  }

  // The EBM layers outside module_list.{i ≥ 1} in both scripts; `head` names the readout.
  static std::map<std::string, std::string> ebmTopLayers(const std::string& head) {
    return {{"temb_map1", "embedding.level_in"},
            {"temb_map2", "embedding.level_out"},
            {"y_map", "embedding.label"},
            {"module_list.0", "in"},
            {head, "head"}};
  }

  std::map<std::string, std::string> mapToyEbm() const {
    return mapByRules(
        m_pi, "pi_state_dict", ebmTopLayers("final_dense"),
        {{"conv1", "fc1"}, {"conv2", "fc2"}, {"temb_map", "emb"}, {"short_cut", "skip"}},
        [](int64_t i) { return "block" + std::to_string(i - 1); });
  }

  std::map<std::string, std::string> mapToyInitializer() const {
    return mapByRules(m_p, "p_state_dict",
                      {{"h1", "in"},
                       {"temb_map.0", "embedding.level_in"},
                       {"temb_map.2", "embedding.level_out"},
                       {"y_map.0", "embedding.label"},
                       {"final_dense", "out"}},
                      {{"norm1", "norm1"},
                       {"norm2", "norm2"},
                       {"conv1", "fc1"},
                       {"conv2", "fc2"},
                       {"mlp.1", "emb"}},
                      [](int64_t j) { return "block" + std::to_string(j); });
  }

  std::vector<std::string> classNames(int64_t classes) const {
    std::string file = m_options.class_names_file;
    if (file.empty()) {
      const auto beside = fs::path(m_path).parent_path() / "imagenet_class_index.json";
      std::error_code error;
      if (!fs::is_regular_file(beside, error)) return {};
      file = beside.string();
    }
    nlohmann::json index;
    try {
      std::ifstream in(file);
      if (!in) throw std::runtime_error("cannot open");
      index = nlohmann::json::parse(in);
      std::vector<std::string> names;
      for (int64_t k = 0; k < classes; ++k)
        names.push_back(index.at(std::to_string(k)).at(1).get<std::string>());
      return names;
    } catch (const std::exception& e) {
      throw FormatError(file + ": not a class index for " + std::to_string(classes) +
                        " classes ({\"0\": [\"id\", \"name\"], …}): " + e.what());
    }
  }

  static std::string param(const std::string& leaf) {
    if (leaf == "weight_orig") return "weight";
    if (leaf == "weight_u") return "u";
    if (leaf == "weight_v") return "v";
    return leaf;
  }
  // "a.b.c" → {"a.b", "c"}
  static std::pair<std::string, std::string> splitLeaf(const std::string& key) {
    const auto dot = key.rfind('.');
    return {key.substr(0, dot), key.substr(dot + 1)};
  }

  // Our name → authors' key, for every key of the EBM's state dict.
  std::map<std::string, std::string> mapEbm() const {
    return mapByRules(
        m_pi, "pi_state_dict", ebmTopLayers("temb_final"),
        {{"conv1", "conv1"}, {"conv2", "conv2"}, {"temb_map", "emb"}, {"short_cut", "skip"}},
        [this](int64_t i) { return ebmBlockName(i); });
  }

  std::string ebmBlockName(int64_t index) const {
    for (size_t l = m_ebmLevelStart.size(); l-- > 0;)
      if (index >= m_ebmLevelStart[l]) {
        const auto b = index - m_ebmLevelStart[l];
        if (b >= m_blocks) break;
        return "block" + std::to_string(l) + "_" + std::to_string(b);
      }
    fail("unexpected key module_list." + std::to_string(index) + " in pi_state_dict");
  }

  // Our names of the entries downs.{l}.{j} / ups.{u}.{j}, in order (OFFICIAL.md §5).
  std::vector<std::string> unetEntryNames(const std::string& prefix, const std::string& ours,
                                          bool resample) const {
    const auto kinds = entryKinds(prefix);
    const auto residual = std::count(kinds.begin(), kinds.end(), 'r');
    std::vector<std::string> names;
    int64_t b = 0;
    for (char kind : kinds) {
      if (kind == 'a') {
        if (names.empty()) fail(prefix + " starts with attention");
        names.push_back(names.back() + "_attn");
      } else if (resample && b + 1 == residual) {
        names.push_back(ours + "_resample");
      } else {
        names.push_back(ours + "_" + std::to_string(b++));
      }
    }
    return names;
  }

  std::map<std::string, std::string> mapInitializer() const {
    static const std::map<std::string, std::string> top = {{"init_conv", "in"},
                                                           {"time_mlp.1", "embedding.level_in"},
                                                           {"time_mlp.3", "embedding.level_out"},
                                                           {"y_mlp.0", "embedding.label"},
                                                           {"mid_block1", "mid0"},
                                                           {"mid_attn", "mid0_attn"},
                                                           {"mid_block2", "mid1"},
                                                           {"norm", "out_norm"},
                                                           {"final_conv", "out"}};
    static const std::map<std::string, std::string> inner = {
        {"norm1", "norm1"}, {"norm2", "norm2"}, {"conv1", "conv1"},
        {"conv2", "conv2"}, {"mlp.1", "emb"},   {"res_conv", "skip"},
        {"norm", "norm"},   {"to_qkv", "qkv"},  {"to_out", "proj"}};
    const int64_t levels = static_cast<int64_t>(m_levels);
    std::map<std::string, std::string> entries;  // "downs.0.3" → "down0_2"
    for (int64_t l = 0; l < levels; ++l) {
      const auto down = "downs." + std::to_string(l), up = "ups." + std::to_string(l);
      const auto downNames = unetEntryNames(down, "down" + std::to_string(l), l + 1 < levels);
      // ups are counted from the lowest resolution: ups.u is our level L − 1 − u.
      const auto upNames =
          unetEntryNames(up, "up" + std::to_string(levels - 1 - l), l + 1 < levels);
      for (size_t j = 0; j < downNames.size(); ++j)
        entries[down + "." + std::to_string(j)] = downNames[j];
      for (size_t j = 0; j < upNames.size(); ++j)
        entries[up + "." + std::to_string(j)] = upNames[j];
    }
    for (const auto& [k, v] : top) entries[k] = v;

    std::map<std::string, std::string> out;
    for (const auto& key : m_p.keys) {
      const auto [layer, leaf] = splitLeaf(key);
      std::string ours;
      if (top.count(layer)) {
        ours = top.at(layer) + "." + leaf;
      } else {
        // layer = <entry>.<inner>, entry = downs.l.j / ups.u.j / mid_block1 …
        for (const auto& [entry, name] : entries) {
          if (layer.rfind(entry + ".", 0) != 0) continue;
          const auto sub = layer.substr(entry.size() + 1);
          if (inner.count(sub)) ours = name + "." + inner.at(sub) + "." + leaf;
        }
      }
      if (ours.empty()) fail("unexpected key " + key + " in p_state_dict");
      out[ours] = key;
    }
    return out;
  }

  static std::map<std::string, std::vector<int64_t>> expectedShapes(const ModelConfig& config,
                                                                    bool ebm) {
    std::shared_ptr<torch::nn::Module> net;
    if (ebm)
      net = makeEnergyNet(config.ebm, config.data_shape, config.num_classes);
    else
      net = makeInitializerNet(config.initializer, config.data_shape, config.num_classes);
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& p : net->named_parameters(true)) shapes[p.key()] = p.value().sizes().vec();
    for (const auto& b : net->named_buffers(true)) shapes[b.key()] = b.value().sizes().vec();
    return shapes;
  }

  static std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }

  void checkNames(const std::map<std::string, std::string>& mapping,
                  const std::map<std::string, std::vector<int64_t>>& expected, const StateDict& sd,
                  const char* what) const {
    for (const auto& [ours, shape] : expected) {
      const auto found = mapping.find(ours);
      if (found == mapping.end())
        fail(std::string(what) + " lacks the tensor for " + ours + " (missing key?)");
      const auto& theirs = shapeOf(sd, found->second);
      if (theirs != shape)
        fail(std::string(what) + ": module." + found->second + " has shape " + shapeText(theirs) +
             " but the inferred network needs " + shapeText(shape));
    }
    for (const auto& [ours, key] : mapping)
      if (!expected.count(ours)) fail(std::string("unexpected key module.") + key + " in " + what);
  }

  // torch-ema's shadow_params: parameters() order = the state dict's keys without the
  // spectral-norm buffers (OFFICIAL.md §3). Empty when the file has no EMA state or `raw`.
  std::map<std::string, const Value*> shadows(const char* name, const StateDict& sd) const {
    const auto& doc = m_archive.document();
    const Value* ema = doc.find(doc.root, name);
    if (!ema || m_options.raw) return {};
    const Value* list = doc.find(*ema, "shadow_params");
    if (!list || list->kind != Kind::List) fail(std::string(name) + " has no shadow_params list");
    const auto& items = doc.items(*list);
    std::vector<std::string> params;
    for (const auto& key : sd.keys)
      if (!endsWith(key, ".weight_u") && !endsWith(key, ".weight_v")) params.push_back(key);
    if (items.size() != params.size())
      fail(std::string(name) + ": shadow_params has " + std::to_string(items.size()) +
           " tensors but the state dict has " + std::to_string(params.size()) + " parameters");
    std::map<std::string, const Value*> out;
    for (size_t k = 0; k < params.size(); ++k) {
      if (items[k].kind != Kind::Tensor)
        fail(std::string(name) + ": shadow " + std::to_string(k) + " is not a tensor");
      const auto& shape = doc.tensors.at(items[k].index).sizes;
      if (shape != shapeOf(sd, params[k]))
        fail(std::string(name) + ": shadow " + std::to_string(k) + " has shape " +
             shapeText(shape) + " but parameter " + params[k] + " has " +
             shapeText(shapeOf(sd, params[k])));
      out[params[k]] = &items[k];
    }
    return out;
  }

  static bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }

  torch::Tensor load(const Value& value) {
    if (m_options.cancel && m_options.cancel->load()) throw ImportCancelled();
    auto t = m_archive.read(value).to(torch::kFloat32).clone(torch::MemoryFormat::Contiguous);
    ++m_done;
    if (m_options.progress) m_options.progress(double(m_done) / double(m_total));
    return t;
  }

  void copyWeights(std::map<std::string, torch::Tensor>& out, const std::string& livePrefix,
                   const std::string& emaPrefix, const std::map<std::string, std::string>& names,
                   const StateDict& sd, const std::map<std::string, const Value*>& shadow) {
    for (const auto& [ours, key] : names) {
      const auto raw = load(*sd.tensors.at(key));
      out[livePrefix + ours] = raw;
      const auto found = shadow.find(key);
      out[emaPrefix + ours] = found == shadow.end() ? raw : load(*found->second);
      if (found == shadow.end()) ++m_done;
    }
  }

  std::string m_path;
  ImportOptions m_options;
  TorchArchive m_archive;
  StateDict m_pi, m_p;
  int64_t m_channels = 3;
  std::vector<int64_t> m_ebmLevelStart;
  int64_t m_blocks = 0;
  bool m_toy = false;
  size_t m_levels = 0;
  size_t m_done = 0, m_total = 1;
};

}  // namespace

Checkpoint importOfficial(const std::string& path, const ImportOptions& options) {
  return Importer(path, options).run();
}

std::string convertedCheckpointPath(const std::string& source) {
  const fs::path p(source);
  std::string stem = p.filename().string();
  for (const std::string ext : {".pth.tar", ".pth", ".pt", ".tar"})
    if (stem.size() > ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0) {
      stem.resize(stem.size() - ext.size());
      break;
    }
  return (p.parent_path() / (stem + ".safetensors")).string();
}

Checkpoint openCheckpoint(const std::string& path, const ImportOptions& options) {
  if (looksLikeTorchArchive(path)) return importOfficial(path, options);
  return readCheckpoint(path);
}

}  // namespace cdrl
