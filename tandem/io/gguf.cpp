// The .gguf format (version 3, as ggml's docs/gguf.md describes it): the
// magic "GGUF", the version, the tensor and metadata counts (uint64), the
// metadata as typed key/value pairs, then per tensor its name, its dims
// (innermost first), its ggml type and its offset in the data section,
// which starts at the next multiple of general.alignment (32 by default);
// every tensor's data starts at such a multiple too. All little-endian.
//
// Read: unquantized tensors (F32, F16, BF16, F64, I8, I16, I32, I64), Q4_0,
// Q4_1 and Q8_0 ones (as MLX reads them: see load_quantized) and every
// metadata type except arrays of arrays. Written: what MLX's
// save_gguf writes (float32, float16, int8, int16 and int32 tensors sorted by
// name; metadata of 0-d or 1-d arrays, strings and lists of strings), so the
// files load in MLX and llama.cpp.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/io/detail.h"
#include "tandem/io/io.h"

namespace tandem::io {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr uint64_t kDefaultAlignment = 32;

// The metadata value types the code names (the numeric ones are
// kMetaDtypes' indices).
constexpr uint32_t kBool = 7, kString = 8, kArray = 9;

// The dtype of each numeric metadata type, by type id (none for strings
// and arrays).
const std::optional<Dtype> kMetaDtypes[] = {uint8, int8, uint16, int16,  uint32, int32,  float32,
                                            bool_, {},   {},     uint64, int64,  float64};

std::optional<Dtype> meta_dtype(uint32_t t) {
  return t < std::size(kMetaDtypes) ? kMetaDtypes[t] : std::nullopt;
}

std::optional<uint32_t> meta_type_of(Dtype t) {
  for (uint32_t k = 0; k < std::size(kMetaDtypes); ++k) {
    if (kMetaDtypes[k] == t) return k;
  }
  return std::nullopt;
}

// ggml tensor types. The unquantized ones load as arrays of their dtype;
// Q4_0, Q4_1 and Q8_0 (blocks of 32 values: a float16 scale, Q4_1 a float16
// minimum too, then the codes) load as MLX loads them, in quantize()'s
// affine layout with group size 32 (load_quantized); the rest are refused.
struct TensorType {
  uint32_t id;
  const char* name;
  std::optional<Dtype> dtype;
  int bits = 0;         // quantized: bits a code; 0 otherwise
  int block_bytes = 0;  // quantized: bytes per block of 32 values
};
const TensorType kTensorTypes[] = {
    {0, "F32", float32}, {1, "F16", float16}, {2, "Q4_0", {}, 4, 18}, {3, "Q4_1", {}, 4, 20},
    {6, "Q5_0", {}},     {7, "Q5_1", {}},     {8, "Q8_0", {}, 8, 34}, {9, "Q8_1", {}},
    {10, "Q2_K", {}},    {11, "Q3_K", {}},    {12, "Q4_K", {}},       {13, "Q5_K", {}},
    {14, "Q6_K", {}},    {15, "Q8_K", {}},    {24, "I8", int8},       {25, "I16", int16},
    {26, "I32", int32},  {27, "I64", int64},  {28, "F64", float64},   {30, "BF16", bfloat16},
};
constexpr int64_t kQuantBlock = 32;
// The ggml type ids load_quantized tells apart (Q4_0 is the third).
constexpr uint32_t kQ4_1 = 3, kQ8_0 = 8;

// The name a quantized tensor's scales and biases take with ".scales" and
// ".biases": MLX's, the weight's without ".weight" (nn.QuantizedLinear's
// parameters). A name without that suffix is kept whole here, where MLX
// drops its last 7 characters.
std::string quantized_base(const std::string& name) {
  const std::string suffix = ".weight";
  bool has = name.size() > suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has ? name.substr(0, name.size() - suffix.size()) : name;
}

// A Q4_0, Q4_1 or Q8_0 tensor of `shape` from its raw blocks, as three
// arrays in quantize()'s affine layout (group size 32): codes packed into
// uint32 words (element j of a word at bits j * bits), float16 scales and
// biases with value = scale * code + bias. Q4_0 (d * (q - 8)) and Q8_0
// (d * q, q signed, stored as q + 128) get bias -8d and -128d, exact in
// float16; Q4_1 (d * q + m) keeps d and m.
void load_quantized(const TensorType& tt, const Shape& shape, const uint8_t* blocks,
                    NamedArrays& out, const std::string& name) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  int64_t nblocks = n / kQuantBlock, per_word = 32 / tt.bits;
  std::vector<uint32_t> words(static_cast<size_t>(n / per_word), 0);
  std::vector<float16_t> scales(nblocks), biases(nblocks);
  uint8_t codes[kQuantBlock];
  for (int64_t b = 0; b < nblocks; ++b) {
    const uint8_t* blk = blocks + b * tt.block_bytes;
    uint16_t dbits, mbits = 0;
    std::memcpy(&dbits, blk, 2);
    float d = static_cast<float>(float16_t::from_bits(dbits));
    if (tt.id == kQ8_0) {  // int8 codes
      for (int i = 0; i < kQuantBlock; ++i) codes[i] = static_cast<uint8_t>(blk[2 + i] ^ 0x80);
      biases[b] = float16_t(-128.0f * d);
    } else {  // Q4_0 / Q4_1: value i in the low nibble of byte i, i + 16 in its high one
      const uint8_t* qs = blk + (tt.id == kQ4_1 ? 4 : 2);
      for (int i = 0; i < kQuantBlock / 2; ++i) {
        codes[i] = qs[i] & 0xF;
        codes[i + kQuantBlock / 2] = qs[i] >> 4;
      }
      if (tt.id == kQ4_1) std::memcpy(&mbits, blk + 2, 2);
      biases[b] = tt.id == kQ4_1 ? float16_t::from_bits(mbits) : float16_t(-8.0f * d);
    }
    scales[b] = float16_t::from_bits(dbits);
    for (int i = 0; i < kQuantBlock; ++i) {
      int64_t e = b * kQuantBlock + i;
      words[e / per_word] |= uint32_t(codes[i]) << (tt.bits * (e % per_word));
    }
  }
  Shape ws = shape, gs = shape;
  ws.back() = shape.back() / per_word;
  gs.back() = shape.back() / kQuantBlock;
  std::string base = quantized_base(name);
  out.emplace_back(name, array(words, ws, uint32));
  out.emplace_back(base + ".scales", array(scales, gs, float16));
  out.emplace_back(base + ".biases", array(biases, gs, float16));
}

// What save_gguf writes (MLX's set), by ggml type id.
std::optional<uint32_t> saved_type_id(Dtype t) {
  for (Dtype d : {float32, float16, int8, int16, int32}) {
    if (d != t) continue;
    for (const auto& e : kTensorTypes) {
      if (e.dtype == t) return e.id;
    }
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(Reader& r) : r_(r), end_(r.size()) {}

  template <typename T>
  T num() {
    need(sizeof(T), "a value");
    T v;
    r_.read(&v, sizeof(T));
    return v;
  }
  std::string str(const char* what) {
    uint64_t n = num<uint64_t>();
    need(n, what);
    std::string s(n, '\0');
    r_.read(s.data(), n);
    return s;
  }
  // Fails unless n more bytes are left.
  void need(uint64_t n, const char* what) {
    if (n > end_ - r_.tell()) {
      r_.fail("load", std::string("truncated .gguf file: ") + what + " of " + std::to_string(n) +
                          " bytes at byte " + std::to_string(r_.tell()) + " runs past its end");
    }
  }
  [[noreturn]] void fail(const std::string& what) { r_.fail("load", what); }
  Reader& reader() { return r_; }

 private:
  Reader& r_;
  uint64_t end_;
};

// Values of numeric metadata type t: `count` of them as a 1-d array, or
// one as a 0-d array (scalar).
array read_values(Parser& p, uint32_t t, uint64_t count, bool scalar) {
  Dtype d = *meta_dtype(t);
  p.need(count * d.size(), "a metadata array");
  Shape shape;
  if (!scalar) shape.push_back(detail::checked_dim(p.reader(), "load", count));
  array a = detail::read_array(p.reader(), shape, d, false, false, "load");
  if (t == kBool) {
    // Any nonzero byte is true.
    auto* b = a.data<uint8_t>();
    for (uint64_t i = 0; i < count; ++i) b[i] = b[i] != 0;
  }
  return a;
}

GGUFValue read_value(Parser& p, const std::string& key, uint32_t t) {
  if (t == kString) return p.str("a metadata string");
  if (t == kArray) {
    uint32_t et = p.num<uint32_t>();
    uint64_t count = p.num<uint64_t>();
    if (et == kString) {
      std::vector<std::string> v;
      for (uint64_t i = 0; i < count; ++i) v.push_back(p.str("a metadata string"));
      return v;
    }
    if (!meta_dtype(et)) {
      p.fail("metadata '" + key + "' is an array of type " + std::to_string(et) +
             (et == kArray ? " (arrays of arrays are not supported)" : " (unknown)"));
    }
    return read_values(p, et, count, false);
  }
  if (!meta_dtype(t)) p.fail("metadata '" + key + "' has unknown type " + std::to_string(t));
  return read_values(p, t, 1, true);
}

void put_u32(Writer& w, uint32_t v) {
  w.write(&v, 4);
}
void put_u64(Writer& w, uint64_t v) {
  w.write(&v, 8);
}
void put_str(Writer& w, const std::string& s) {
  put_u64(w, s.size());
  w.write(s.data(), s.size());
}
}  // namespace

GGUF load_gguf(Reader& r) {
  Parser p(r);
  uint64_t start = r.tell();
  if (r.size() - start < 24) p.fail("too short to be a .gguf file");
  if (p.num<uint32_t>() != kMagic) p.fail("not a .gguf file (bad magic)");
  uint32_t version = p.num<uint32_t>();
  if (version != 2 && version != 3) {
    p.fail("unsupported .gguf version " + std::to_string(version) + " (2 and 3 load)");
  }
  uint64_t n_tensors = p.num<uint64_t>(), n_meta = p.num<uint64_t>();
  GGUF out;
  uint64_t align = kDefaultAlignment;
  std::set<std::string> keys;
  for (uint64_t i = 0; i < n_meta; ++i) {
    std::string key = p.str("a metadata key");
    if (!keys.insert(key).second) p.fail("duplicate metadata key '" + key + "'");
    uint32_t t = p.num<uint32_t>();
    GGUFValue v = read_value(p, key, t);
    if (key == "general.alignment") {
      auto* a = std::get_if<array>(&v);
      if (!a || a->ndim() != 0 || a->dtype() != uint32) {
        p.fail("general.alignment must be a uint32");
      }
      align = a->item<uint32_t>();
      if (align == 0 || align % 8 != 0) {
        p.fail("general.alignment " + std::to_string(align) + " is not a positive multiple of 8");
      }
    }
    out.metadata.emplace_back(std::move(key), std::move(v));
  }
  struct Info {
    std::string name;
    Shape shape;
    Dtype dtype;  // uint8 for quantized ones (their bytes)
    uint64_t offset;
    const TensorType* type;
  };
  std::vector<Info> infos;
  std::set<std::string> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Info info{p.str("a tensor name"), {}, float32, 0, nullptr};
    if (!names.insert(info.name).second) p.fail("duplicate tensor name '" + info.name + "'");
    uint32_t nd = p.num<uint32_t>();
    if (nd > 8) {
      p.fail("tensor '" + info.name + "' has " + std::to_string(nd) + " dims (at most 8)");
    }
    for (uint32_t d = 0; d < nd; ++d) {
      info.shape.insert(info.shape.begin(), detail::checked_dim(r, "load", p.num<uint64_t>()));
    }
    uint32_t t = p.num<uint32_t>();
    const TensorType* tt = nullptr;
    for (const auto& e : kTensorTypes) {
      if (e.id == t) tt = &e;
    }
    if (!tt) p.fail("tensor '" + info.name + "' has unknown ggml type " + std::to_string(t));
    if (!tt->dtype && !tt->bits) {
      p.fail("tensor '" + info.name + "' is quantized as " + tt->name +
             "; Tandem loads unquantized .gguf tensors and Q4_0, Q4_1 and Q8_0 ones");
    }
    if (tt->bits && (info.shape.empty() || info.shape.back() % kQuantBlock != 0)) {
      p.fail("tensor '" + info.name + "' (" + tt->name + ") has shape " + shape_str(info.shape) +
             ": its last dimension must be a multiple of the block size 32");
    }
    info.type = tt;
    info.dtype = tt->dtype.value_or(uint8);
    info.offset = p.num<uint64_t>();
    if (info.offset % align) {
      p.fail("tensor '" + info.name + "' starts at offset " + std::to_string(info.offset) +
             ", not a multiple of the alignment " + std::to_string(align));
    }
    infos.push_back(std::move(info));
  }
  for (const auto& info : infos) {
    if (!info.type->bits) continue;
    for (const char* part : {".scales", ".biases"}) {
      std::string extra = quantized_base(info.name) + part;
      if (!names.insert(extra).second) {
        p.fail("tensor '" + info.name + "' is quantized, and its " + part +
               " would take the name '" + extra + "', which another tensor has");
      }
    }
  }
  uint64_t data = r.tell() - start;
  data = start + (data + align - 1) / align * align;
  for (auto& info : infos) {
    size_t count = 0;
    try {
      count = checked_shape_size(info.shape, info.dtype, "load");
    } catch (const std::invalid_argument& e) {
      p.fail("tensor '" + info.name + "': " + e.what());
    }
    int bits = info.type->bits;
    if (bits) count = count / kQuantBlock * info.type->block_bytes;  // bytes of its blocks
    uint64_t at = data + info.offset;
    if (at < data || at > r.size() || count * info.dtype.size() > r.size() - at) {
      p.fail("tensor '" + info.name + "' (" + std::to_string(count * info.dtype.size()) +
             " bytes at data offset " + std::to_string(info.offset) +
             ") runs past the end of the file (truncated?)");
    }
    r.seek(at);
    if (bits) {
      array raw =
          detail::read_array(r, {static_cast<ShapeElem>(count)}, uint8, false, false, "load");
      load_quantized(*info.type, info.shape, raw.data<uint8_t>(), out.arrays, info.name);
      continue;
    }
    out.arrays.emplace_back(info.name,
                            detail::read_array(r, info.shape, info.dtype, false, false, "load"));
  }
  return out;
}

void save_gguf(Writer& w, const NamedArrays& arrays, const GGUFMetadata& metadata) {
  std::map<std::string, array> sorted;
  for (const auto& [k, a] : arrays) {
    if (!saved_type_id(a.dtype())) {
      throw std::invalid_argument("[save_gguf] array '" + k + "' has dtype " +
                                  dtype_name(a.dtype()) +
                                  "; .gguf files hold float32, float16, int8, int16 and int32");
    }
    if (a.ndim() > 8) {
      throw std::invalid_argument("[save_gguf] array '" + k + "' has " + std::to_string(a.ndim()) +
                                  " dims (at most 8)");
    }
    if (!sorted.emplace(k, a).second) {
      throw std::invalid_argument("[save_gguf] duplicate array name '" + k + "'");
    }
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : metadata) {
    if (!keys.insert(k).second) {
      throw std::invalid_argument("[save_gguf] duplicate metadata key '" + k + "'");
    }
    if (auto* a = std::get_if<array>(&v)) {
      if (a->ndim() > 1) {
        throw std::invalid_argument("[save_gguf] metadata '" + k + "' has shape " +
                                    shape_str(a->shape()) + "; metadata arrays are 0-d or 1-d");
      }
      if (!meta_type_of(a->dtype())) {
        throw std::invalid_argument("[save_gguf] metadata '" + k + "' has dtype " +
                                    dtype_name(a->dtype()) +
                                    "; metadata arrays hold integers, float32, float64 or bool");
      }
    }
  }
  uint64_t start = w.tell();
  put_u32(w, kMagic);
  put_u32(w, 3);
  put_u64(w, sorted.size());
  put_u64(w, metadata.size());
  std::vector<char> tmp;
  for (const auto& [k, v] : metadata) {
    put_str(w, k);
    if (auto* s = std::get_if<std::string>(&v)) {
      put_u32(w, kString);
      put_str(w, *s);
    } else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
      put_u32(w, kArray);
      put_u32(w, kString);
      put_u64(w, l->size());
      for (const auto& s : *l) put_str(w, s);
    } else {
      array a = std::get<array>(v);
      uint32_t t = *meta_type_of(a.dtype());
      if (a.ndim() == 1) {
        put_u32(w, kArray);
        put_u32(w, t);
        put_u64(w, a.size());
      } else {
        put_u32(w, t);
      }
      w.write(detail::row_major_bytes(a, &tmp), a.nbytes());
    }
  }
  uint64_t offset = 0;
  auto aligned = [](uint64_t n) {
    return (n + kDefaultAlignment - 1) / kDefaultAlignment * kDefaultAlignment;
  };
  for (const auto& [k, a] : sorted) {
    put_str(w, k);
    put_u32(w, static_cast<uint32_t>(a.ndim()));
    for (int d = a.ndim() - 1; d >= 0; --d) put_u64(w, static_cast<uint64_t>(a.shape(d)));
    put_u32(w, *saved_type_id(a.dtype()));
    put_u64(w, offset);
    offset = aligned(offset + a.nbytes());
  }
  // Each tensor's data starts at a multiple of the alignment (the data
  // section's start included), counted from the file's start.
  static const char zeros[kDefaultAlignment] = {};
  for (auto& [k, a] : sorted) {
    w.write(zeros,
            (kDefaultAlignment - (w.tell() - start) % kDefaultAlignment) % kDefaultAlignment);
    array x = a;
    w.write(detail::row_major_bytes(x, &tmp), x.nbytes());
  }
}

}  // namespace tandem::io
