// export_function / import_function: the file around the traced graphs
// (tandem/export.h; the graphs themselves: CompiledGraph::save / load).
#include "tandem/export.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tandem/compile.h"
#include "tandem/io/detail.h"
#include "tandem/io/export_detail.h"
#include "tandem/io/io.h"

namespace tandem {

namespace {

constexpr char kMagic[8] = {'T', 'A', 'N', 'D', 'E', 'M', 'F', 'N'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeader = 8 + 4 + 8 + 4;

uint32_t crc_of(const char* p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// Walks a structure string (see flat_structure); calls leaf() at each
// array, emit(text) for the rest of a readable rendering. Returns false if
// the string is not of the grammar.
template <typename Leaf, typename Emit>
bool walk_structure(const std::string& s, Leaf leaf, Emit emit) {
  size_t i = 0;
  std::vector<char> open;  // closing brackets expected
  std::vector<bool> first;
  std::vector<bool> keyed;  // per open dict: whether a key waits for its value
  // An item inside a dict must follow a key.
  auto item_ok = [&] {
    if (open.empty() || open.back() != '}') return true;
    if (!keyed.back()) return false;
    keyed.back() = false;
    return true;
  };
  auto sep = [&] {
    if (!first.empty()) {
      if (!first.back()) emit(", ");
      first.back() = false;
    }
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == 'a') {
      if (!item_ok()) return false;
      sep();
      leaf();
      ++i;
    } else if (c == '(' || c == '[' || c == '{') {
      if (!item_ok()) return false;
      sep();
      emit(std::string(1, c));
      open.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      first.push_back(true);
      if (c == '{') keyed.push_back(false);
      ++i;
    } else if (c == ')' || c == ']' || c == '}') {
      if (open.empty() || open.back() != c) return false;
      if (c == '}') {
        if (keyed.back()) return false;
        keyed.pop_back();
      }
      open.pop_back();
      first.pop_back();
      emit(std::string(1, c));
      ++i;
    } else if (c == 'k') {
      if (open.empty() || open.back() != '}' || keyed.back()) return false;
      size_t colon = s.find(':', i);
      if (colon == std::string::npos || colon == i + 1 || colon - i > 10) return false;
      size_t len = 0;
      for (size_t j = i + 1; j < colon; ++j) {
        if (s[j] < '0' || s[j] > '9') return false;
        len = len * 10 + static_cast<size_t>(s[j] - '0');
      }
      if (colon + 1 + len > s.size()) return false;
      sep();
      emit(s.substr(colon + 1, len) + ": ");
      first.back() = true;  // the value follows without a comma
      keyed.back() = true;
      i = colon + 1 + len;
    } else {
      return false;
    }
  }
  return open.empty();
}

std::string leaf_str(Dtype t, const Shape& s) {
  return std::string(dtype_name(t)) + " " + shape_str(s);
}

// "(float32 (2,), [int32 (3,)]) keywords {y: float32 (2,)}".
std::string describe(const std::string& structure, const std::vector<Dtype>& dtypes,
                     const std::vector<Shape>& shapes) {
  std::string out;
  size_t k = 0;
  int depth = 0;
  walk_structure(
      structure,
      [&] {
        out += k < dtypes.size() ? leaf_str(dtypes[k], shapes[k]) : "?";
        ++k;
      },
      [&](const std::string& t) {
        if (t == "{" && depth == 0) out += " keywords ";
        if (t == "(" || t == "[" || t == "{") ++depth;
        if (t == ")" || t == "]" || t == "}") --depth;
        out += t;
      });
  if (out.size() >= 12 && out.compare(out.size() - 12, 12, " keywords {}") == 0) {
    out.resize(out.size() - 12);
  }
  return out;
}

size_t leaf_count(const std::string& structure, bool& ok) {
  size_t n = 0;
  ok = walk_structure(
      structure, [&] { ++n; }, [](const std::string&) {});
  return n;
}

void check_not_tracing() {
  if (detail::tracing_depth() > 0) {
    throw std::invalid_argument("[export_function] cannot export inside a transform");
  }
}

}  // namespace

std::string flat_structure(size_t num_args, const std::vector<std::string>& kw_names) {
  std::string s = "(" + std::string(num_args, 'a') + "){";
  auto names = kw_names;
  std::sort(names.begin(), names.end());
  for (auto& n : names) s += "k" + std::to_string(n.size()) + ":" + n + "a";
  return s + "}";
}

// ---- export ----

struct FunctionExporter::Impl {
  std::string path;
  ArrayFn fun;
  bool shapeless;
  std::string metadata;
  struct Sig {
    std::string structure;
    std::vector<Dtype> dtypes;
    std::vector<Shape> shapes;
    std::string bytes;  // structure and graph, as the body holds them
  };
  std::vector<Sig> sigs;
  bool closed = false;

  void write() const {
    std::string body;
    io::detail::ByteWriter w(body);
    w.str(metadata);
    w.u32(static_cast<uint32_t>(sigs.size()));
    for (auto& s : sigs) w.raw(s.bytes.data(), s.bytes.size());
    std::string head;
    io::detail::ByteWriter h(head);
    h.raw(kMagic, 8);
    h.u32(kVersion);
    h.u64(body.size());
    h.u32(crc_of(body.data(), body.size()));
    io::write_file(path, [&](io::Writer& out) {
      out.write(head.data(), head.size());
      out.write(body.data(), body.size());
    });
  }
};

FunctionExporter::FunctionExporter(std::string path, ArrayFn fun, bool shapeless,
                                   std::string metadata)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->fun = std::move(fun);
  impl_->shapeless = shapeless;
  impl_->metadata = std::move(metadata);
}
FunctionExporter::~FunctionExporter() = default;

void FunctionExporter::close() {
  impl_->closed = true;
}
bool FunctionExporter::closed() const {
  return impl_->closed;
}

void FunctionExporter::add(const std::vector<array>& inputs, const std::string& structure) {
  Impl& x = *impl_;
  if (x.closed) {
    throw std::runtime_error("[export_function] the exporter of '" + x.path + "' is closed");
  }
  check_not_tracing();
  bool ok;
  if (leaf_count(structure, ok) != inputs.size() || !ok) {
    throw std::invalid_argument("[export_function] the structure '" + structure +
                                "' does not hold " + std::to_string(inputs.size()) + " arrays");
  }
  Impl::Sig sig;
  sig.structure = structure;
  for (auto& a : inputs) {
    sig.dtypes.push_back(a.dtype());
    sig.shapes.push_back(a.shape());
  }
  for (auto& s : x.sigs) {
    if (s.structure == sig.structure && s.dtypes == sig.dtypes && s.shapes == sig.shapes) {
      throw std::runtime_error(
          "[export_function] a signature equal to this one is already exported: " +
          describe(structure, sig.dtypes, sig.shapes));
    }
  }
  CompiledGraph graph(x.fun, inputs, x.shapeless);
  if (x.shapeless && !graph.shape_polymorphic()) {
    throw std::invalid_argument(
        "[export_function] shapeless=True, but the traced graph has ops no shape rule covers "
        "(shapeless exports take elementwise ops, broadcasts feeding them, reductions, "
        "transposes, reshapes that add or drop size-1 axes and matmuls); export with "
        "shapeless=False, once per shape");
  }
  io::detail::ByteWriter w(sig.bytes);
  w.str(structure);
  graph.save(w);
  x.sigs.push_back(std::move(sig));
  try {
    x.write();
  } catch (...) {
    x.sigs.pop_back();
    throw;
  }
}

void export_function(const std::string& path, const ArrayFn& fun, const std::vector<array>& inputs,
                     bool shapeless, const std::string& metadata) {
  FunctionExporter e(path, fun, shapeless, metadata);
  e(inputs);
}

// ---- import ----

ImportedFunction import_function_bytes(const std::string& bytes, const std::string& label) {
  io::detail::ByteReader r(bytes.data(), bytes.size(), label);
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    r.fail("not a function exported by export_function (no TANDEMFN header)");
  }
  r.skip(8);
  uint32_t version = r.u32();
  if (version != kVersion) {
    r.fail("format version " + std::to_string(version) + " (this build reads version " +
           std::to_string(kVersion) + ")");
  }
  uint64_t len = r.u64();
  uint32_t crc = r.u32();
  if (len != r.left()) {
    r.fail("the body should hold " + std::to_string(len) + " bytes but " +
           std::to_string(r.left()) + " follow the header (truncated or extended)");
  }
  if (crc_of(r.here(), r.left()) != crc) r.fail("the checksum does not match (a damaged file)");
  ImportedFunction f;
  f.metadata_ = r.str();
  if (!io::detail::valid_utf8(f.metadata_)) r.fail("the metadata is not UTF-8 text");
  uint32_t n = r.count(16);
  if (n == 0) r.fail("no signatures");
  for (uint32_t i = 0; i < n; ++i) {
    ImportedFunction::Signature s;
    s.structure = r.str();
    if (!io::detail::valid_utf8(s.structure)) {
      r.fail("signature " + std::to_string(i) + " has a malformed input structure");
    }
    s.graph = CompiledGraph::load(r);
    bool ok;
    size_t leaves = leaf_count(s.structure, ok);
    if (!ok || leaves != s.graph->input_shapes().size()) {
      r.fail("signature " + std::to_string(i) + " has a malformed input structure");
    }
    f.sigs_.push_back(std::move(s));
  }
  if (r.left() != 0) r.fail(std::to_string(r.left()) + " bytes follow the last signature");
  return f;
}

ImportedFunction import_function(const std::string& path) {
  std::string bytes;
  try {
    auto in = io::open_reader(path);
    bytes.resize(in->size());
    if (!bytes.empty()) in->read(bytes.data(), bytes.size());
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (msg.rfind("[load] ", 0) == 0) msg = msg.substr(7);
    throw std::runtime_error("[import_function] " + msg);
  }
  return import_function_bytes(bytes, "file '" + path + "'");
}

bool ImportedFunction::accepts(const std::string& structure) const {
  for (auto& s : sigs_) {
    if (s.structure == structure) return true;
  }
  return false;
}

std::vector<array> ImportedFunction::operator()(const std::vector<array>& args,
                                                const std::map<std::string, array>& kwargs) const {
  std::vector<array> inputs = args;
  std::vector<std::string> names;
  for (auto& [k, v] : kwargs) {  // a std::map: sorted by name, as structures are
    names.push_back(k);
    inputs.push_back(v);
  }
  return call(inputs, flat_structure(args.size(), names));
}

std::vector<array> ImportedFunction::call(const std::vector<array>& inputs,
                                          const std::string& structure) const {
  const Signature* shapeless = nullptr;
  for (auto& s : sigs_) {
    if (s.structure != structure) continue;
    const auto& dt = s.graph->input_dtypes();
    const auto& sh = s.graph->input_shapes();
    if (dt.size() != inputs.size()) continue;
    bool dtypes = true, shapes = true, ranks = true;
    for (size_t i = 0; i < inputs.size(); ++i) {
      dtypes = dtypes && inputs[i].dtype() == dt[i];
      shapes = shapes && inputs[i].shape() == sh[i];
      ranks = ranks && inputs[i].shape().size() == sh[i].size();
    }
    if (dtypes && shapes) return s.graph->replay(inputs);
    if (dtypes && ranks && s.graph->shape_polymorphic() && !shapeless) shapeless = &s;
  }
  if (shapeless) return shapeless->graph->replay(inputs);
  std::string msg = "[import_function] no exported signature matches the call. The file holds:\n";
  for (size_t i = 0; i < sigs_.size(); ++i) {
    const auto& g = *sigs_[i].graph;
    msg += "  " + std::to_string(i + 1) + ". " +
           describe(sigs_[i].structure, g.input_dtypes(), g.input_shapes()) +
           (g.shape_polymorphic() ? " (shapeless: any shapes of these ranks)" : "") + "\n";
  }
  std::vector<Dtype> dt;
  std::vector<Shape> sh;
  for (auto& a : inputs) {
    dt.push_back(a.dtype());
    sh.push_back(a.shape());
  }
  bool ok;
  leaf_count(structure, ok);
  msg += "The call: " + (ok ? describe(structure, dt, sh) : structure);
  throw std::invalid_argument(msg);
}

}  // namespace tandem
